"""The notice per licence family, on real packages with known licences, and what the
snippet itself says (present_in_snippet, wrong_license).

One index over pinned real packages, fetched through the registries and cached:
six 1.16.0 (MIT, dist-info/LICENSE), cordova-android 12.0.1 (Apache-2.0 with a NOTICE
file), html2text 2020.1.16 (GPL, dist-info/COPYING), certifi 2024.2.2 (MPL-2.0),
tweetnacl 1.0.3 (Unlicense), and a tree without any licence evidence.
"""
from __future__ import annotations

from dataclasses import replace
import json
from pathlib import Path
import shutil
import tarfile
import zipfile

import pytest

from auditor import api
from auditor.attribution import attribute, scan_snippet
from auditor.attribution.notices import source_block
from auditor.index.reader import Index
from auditor.licensing.spdx import combine

from conftest import STDLIB, fetch_npm, fetch_wheel

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> dict[str, Path]:
    bare = tmp_path_factory.mktemp("trees") / "no-licence"
    bare.mkdir()
    shutil.copy(STDLIB / "json" / "decoder.py", bare / "decoder.py")  # real code, no licence evidence beside it
    return {
        "mit": fetch_wheel("six", "1.16.0"),
        "apache": fetch_npm("cordova-android", "12.0.1"),
        "gpl": fetch_wheel("html2text", "2020.1.16"),
        "mpl": fetch_wheel("certifi", "2024.2.2"),
        "unlicense": fetch_npm("tweetnacl", "1.0.3"),
        "unknown": bare,
    }


@pytest.fixture(scope="module")
def index(packages, tmp_path_factory) -> Index:
    out = tmp_path_factory.mktemp("idx") / "families"
    api.build_index([str(p) for p in packages.values()], out, workers=1, show_progress=False)
    return Index(out)


def member(archive: Path, name: str) -> str:
    if archive.suffix == ".whl":
        return zipfile.ZipFile(archive).read(name).decode("utf-8")
    with tarfile.open(archive) as tar:
        return tar.extractfile(name).read().decode("utf-8")


def chunk(text: str, start: int, end: int) -> str:
    return "\n".join(text.splitlines()[start:end]) + "\n"


@pytest.fixture(scope="module")
def snippets(packages) -> dict[str, str]:
    return {
        "mit": chunk(member(packages["mit"], "six.py"), 600, 640),
        "apache": chunk(member(packages["apache"], "package/framework/src/org/apache/cordova/AllowList.java"), 60, 100),
        "gpl": chunk(member(packages["gpl"], "html2text/utils.py"), 10, 50),
        "mpl": chunk(member(packages["mpl"], "certifi/core.py"), 20, 60),
        "unlicense": chunk(member(packages["unlicense"], "package/nacl-fast.js"), 100, 140),
        "unknown": chunk((packages["unknown"] / "decoder.py").read_text("utf-8"), 60, 100),
    }


def outside_fences(markdown: str) -> list[str]:
    """The Markdown lines that are not inside a fenced code block."""
    out, fence = [], None
    for line in markdown.splitlines():
        ticks = len(line) - len(line.lstrip("`"))
        if fence is None and ticks >= 3:
            fence = ticks
        elif fence is not None and ticks >= fence and not line.strip("`"):
            fence = None
        elif fence is None:
            out.append(line)
    return out


def traced(index, snippets, family, prefix=""):
    r = api.trace_snippet(prefix + snippets[family], index)
    assert r.matches and r.matches[0].verdict in ("verbatim", "near-verbatim"), (family, r.verdict)
    return r


# --- texts stored at build time ----------------------------------------------------------------

def test_licence_and_notice_texts_stored_once(index, packages):
    rows = [index.file_row(f) for f in range(index.manifest["counts"]["files"])]
    (six_ids,) = {(r["license_text_id"], r["notice_text_id"]) for r in rows if r["repo_name"] == "pypi/six"}
    assert six_ids[0] >= 0 and six_ids[1] == -1  # six has no NOTICE file
    assert index.text(six_ids[0]) == member(packages["mit"], "six-1.16.0.dist-info/LICENSE").strip("\n") + "\n"
    (cordova_ids,) = {(r["license_text_id"], r["notice_text_id"])
                      for r in rows if r["repo_name"] == "cordova-android-12.0.1"}
    assert index.text(cordova_ids[1]).strip() == member(packages["apache"], "package/NOTICE").strip()
    assert "TERMS AND CONDITIONS FOR USE" in index.text(cordova_ids[0])
    assert {(r["license_text_id"], r["notice_text_id"]) for r in rows if r["repo_name"] == "no-licence"} == {(-1, -1)}
    ids = {i for r in rows for i in (r["license_text_id"], r["notice_text_id"]) if i >= 0}
    assert ids == set(range(len(index.texts_offsets) - 1))  # every stored text is used, each once
    assert len({index.text(i) for i in ids}) == len(ids)
    import pyarrow.parquet as pq

    table = pq.read_table(index.path / "files.parquet", columns=["license_text_id", "notice_text_id"])
    assert table.column("license_text_id").to_pylist() == [r["license_text_id"] for r in rows]


# --- the notice per family -------------------------------------------------------------------

def test_mit_notice_carries_copyright_and_the_sources_own_licence_text(index, snippets, packages):
    r = traced(index, snippets, "mit")
    a, src = r.attribution, r.matches[0].source
    assert a.required and a.present_in_snippet is False and a.license == "MIT" and not a.wrong_license
    for expected in ("six.py in pypi/six (revision 1.16.0)", f"SWHID: swh:1:cnt:{src.blob_id}",
                     "Copyright (c) 2010-2020 Benjamin Peterson", "License: MIT",
                     "The above copyright notice and this permission notice shall be included"):
        assert expected in a.notice, expected
    assert member(packages["mit"], "six-1.16.0.dist-info/LICENSE").strip() in a.notice


def test_apache_notice_adds_the_notice_file_and_a_licence_reference(index, snippets, packages):
    a = traced(index, snippets, "apache").attribution
    assert a.required and a.license == "Apache-2.0"
    assert "https://www.apache.org/licenses/LICENSE-2.0" in a.notice
    assert member(packages["apache"], "package/NOTICE").strip() in a.notice
    assert "The Apache Software Foundation" in a.notice and "changed" in a.notice
    assert "TERMS AND CONDITIONS FOR USE" not in a.notice  # referenced, not reproduced


def test_gpl_notice_says_what_share_alike_means(index, snippets):
    a = traced(index, snippets, "gpl").attribution
    assert a.required and a.license.startswith("GPL-3.0")
    assert "Share-alike" in a.notice and "whole of it under GPL-3.0" in a.notice
    assert "complete corresponding source" in a.notice
    assert "35,147 characters" in a.notice  # the source's COPYING is kept, and referenced, not pasted
    assert "Network use" not in a.notice


def test_mpl_notice_is_file_level(index, snippets):
    a = traced(index, snippets, "mpl").attribution
    assert a.required and a.license == "MPL-2.0"
    assert "file-level copyleft" in a.notice and "source code must be available under MPL-2.0" in a.notice
    assert "This Source Code Form is subject to the terms of the Mozilla Public License" in a.notice


def test_unlicense_owes_no_attribution(index, snippets):
    a = traced(index, snippets, "unlicense").attribution
    assert a.required is False and a.present_in_snippet is None and a.license == "Unlicense"
    assert "No attribution is owed" in a.notice and "nacl-fast.js in tweetnacl-1.0.3" in a.notice


def test_unknown_licence_means_all_rights_reserved(index, snippets):
    a = traced(index, snippets, "unknown").attribution
    assert a.required is True and a.present_in_snippet is False and a.license is None
    assert "No licence was found" in a.notice and "all rights reserved" in a.notice
    assert "decoder.py in no-licence" in a.notice


def test_two_origins_give_two_blocks_and_the_combined_licence(index, snippets):
    mit, gpl = traced(index, snippets, "mit"), traced(index, snippets, "gpl")
    a = attribute([mit.matches[0], gpl.matches[0]], snippets["mit"] + snippets["gpl"])
    assert a.license == combine(["MIT", gpl.matches[0].source.license]) == f"MIT AND {gpl.matches[0].source.license}"
    assert "from 2 sources" in a.notice and "[1] six.py in pypi/six" in a.notice
    assert "[2] html2text/utils.py in pypi/html2text" in a.notice
    assert f"Combined licence of this code: {a.license}" in a.notice
    assert a.notice.count("SWHID: swh:1:cnt:") == 2
    assert "licence MIT of six.py not stated" in a.reason and "html2text/utils.py not stated" in a.reason


def test_dep5_stanza_text_is_the_files_licence_notice(tmp_path):
    """gzip's real DEP-5: gzip.c gets the GPL-3+ stanza's own text, the docs the GFDL's."""
    dep5 = Path("/usr/share/doc/gzip/copyright")
    if not dep5.is_file():
        pytest.skip("gzip's DEP-5 copyright is not installed")
    from auditor.licensing.package import PackageEvidence
    from auditor.models import SourceRef

    (tmp_path / "debian").mkdir()
    shutil.copy(dep5, tmp_path / "debian" / "copyright")
    evidence = PackageEvidence.from_tree(tmp_path, "gzip")
    gpl_text = evidence.license_text_for("gzip.c")
    assert "either version 3, or (at your option)" in gpl_text
    assert "GNU Free Documentation License" in evidence.license_text_for("doc/gzip.texi")
    src = SourceRef("gzip", "gzip.c", "0" * 40, evidence.findings_for("gzip.c")[0].expression, "strong-copyleft",
                    holders=evidence.holders_for("gzip.c"), license_text=gpl_text)
    block = "\n".join(source_block(src))
    assert "Licence notice of the source" in block and "either version 3, or (at your option)" in block
    assert "Share-alike" in block


# --- what the snippet carries ----------------------------------------------------------------

def test_present_when_the_snippet_carries_tag_and_holder(index, snippets):
    header = "# SPDX-License-Identifier: MIT\n# Copyright (c) 2010-2020 Benjamin Peterson\n"
    a = traced(index, snippets, "mit", header).attribution
    assert a.present_in_snippet is True and a.wrong_license is False, a.reason
    tag_only = traced(index, snippets, "mit", "# SPDX-License-Identifier: MIT\n").attribution
    assert tag_only.present_in_snippet is False and "holders of six.py not named" in tag_only.reason
    by_name = traced(index, snippets, "mit", "# Copyright Benjamin Peterson, released under the MIT License\n")
    assert by_name.attribution.present_in_snippet is True


def test_wrong_license_when_the_snippet_says_mit_for_gpl_code(index, snippets):
    r = traced(index, snippets, "gpl", "# SPDX-License-Identifier: MIT\n")
    a = r.attribution
    assert a.wrong_license is True and a.present_in_snippet is False
    assert "names MIT" in a.reason
    d = json.loads(api.render(r, "json"))
    assert d["attribution"]["wrong_license"] is True and d["attribution"]["license"] == a.license
    assert "WRONG LICENCE" in api.render(r, "text")
    right = traced(index, snippets, "gpl", "# Licensed under the GNU General Public License version 3\n").attribution
    assert right.wrong_license is False and right.present_in_snippet is True, right.reason
    family = traced(index, snippets, "gpl", "# This file is under the GPL.\n").attribution
    assert family.wrong_license is False


def test_snippet_claims_on_real_licence_texts(packages):
    six_license = member(packages["mit"], "six-1.16.0.dist-info/LICENSE")
    assert scan_snippet(six_license).licenses == ("MIT",)
    assert scan_snippet(six_license).copyrights == ("Copyright (c) 2010-2020 Benjamin Peterson",)
    cordova = member(packages["apache"], "package/framework/src/org/apache/cordova/AllowList.java")
    assert "Apache-2.0" in scan_snippet(cordova).licenses  # its ASF header: "Apache License, Version 2.0"
    code = member(packages["mit"], "six.py")[20000:24000]  # code alone names no licence
    assert scan_snippet(code).licenses == ()


def test_reports_cannot_be_injected_through_corpus_texts(index, snippets):
    r = traced(index, snippets, "apache")
    evil = replace(r.matches[0].source, path="A.java\n# Injected [x](http://evil.example)",
                   notice_text="```\n<script>alert(1)</script>\n\x1b[31mred\x1b[0m \u202eeven\n")
    r = replace(r, matches=(replace(r.matches[0], source=evil),), attribution=attribute(
        [replace(r.matches[0], source=evil)], snippets["apache"]))
    md = api.render(r, "markdown")
    text = api.render(r, "text")
    assert "\x1b" not in r.attribution.notice and "\u202e" not in r.attribution.notice
    assert "\x1b" not in text and "\x1b" not in md
    assert not any(line.startswith("# Injected") for line in outside_fences(md))
    assert not any(line.startswith("# Injected") for line in r.attribution.notice.splitlines())  # path: one line
    notice = md.split("Notice that should accompany the snippet:")[1]
    assert notice.strip().startswith("````\n")  # the notice holds ``` so its fence is longer
    assert "<script>" in notice and not any("<script>" in line for line in outside_fences(md))
