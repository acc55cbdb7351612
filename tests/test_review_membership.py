"""The seed threads' workflows on real code: mutagen 1.47.0 (GPL-2.0-or-later, fetched from PyPI;
skipped offline) and six 1.16.0 (MIT, shipped in tests/data/golden)."""
from __future__ import annotations

import json
from pathlib import Path
import shutil
import subprocess
import sys
import zipfile

import pytest

from auditor import api
from auditor.errors import AuditorError

from conftest import fetch_wheel

GOLDEN = Path(__file__).parent / "data" / "golden"
BIN = Path(sys.executable).parent
GIT = ["git", "-c", "user.email=dev@example.org", "-c", "user.name=Dev"]

RENAMED_DECODE = '''

def split_at_nul(payload, codec_name, require_nul=True):
    """Decode payload up to the first NUL and return the rest too."""
    info = codecs.lookup(codec_name)
    codec_name = info.name
    if codec_name in ("utf-8", "iso8859-1"):
        cut = payload.find(b"\\x00")
        if cut == -1:
            result = payload.decode(codec_name), b""
            if require_nul:
                raise ValueError("not null terminated")
            else:
                return result
        return payload[:cut].decode(codec_name), payload[cut + 1:]
    dec = info.incrementaldecoder()
    chars = []
    for pos, byte in enumerate(iterbytes(payload)):
        ch = dec.decode(byte)
        if ch == u"\\x00":
            return u"".join(chars), payload[pos + 1:]
        chars.append(ch)
    else:
        chars.append(dec.decode(b"", True))
        if require_nul:
            raise ValueError("not null terminated")
        return u"".join(chars), b""
'''

ORIGINAL = '''

def tally_votes(ballots, candidates):
    """Count first preferences, dropping ballots that name nobody we know."""
    counts = {name: 0 for name in candidates}
    spoiled = 0
    for ballot in ballots:
        choice = next((c for c in ballot if c in counts), None)
        if choice is None:
            spoiled += 1
            continue
        counts[choice] += 1
    leader = max(counts, key=lambda name: (counts[name], name))
    return leader, counts, spoiled
'''


@pytest.fixture(scope="module")
def mutagen_wheel() -> Path:
    return fetch_wheel("mutagen", "1.47.0")


@pytest.fixture(scope="module")
def corpus_index(mutagen_wheel, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("review") / "idx"
    api.build_index([str(mutagen_wheel), str(GOLDEN / "corpus" / "six-1.16.0")], out, workers=2, show_progress=False)
    return out


def _patch(tmp_path: Path, name: str, added: str) -> Path:
    """``git format-patch`` of one commit that appends ``added`` to a project's file."""
    repo = tmp_path / name
    (repo / "tagtool").mkdir(parents=True)
    (repo / "tagtool" / "text.py").write_text('"""Small helpers for tag data."""\nimport codecs\n')
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(GIT + ["-C", str(repo), "add", "."], check=True)
    subprocess.run(GIT + ["-C", str(repo), "commit", "-qm", "init"], check=True)
    with open(repo / "tagtool" / "text.py", "a") as fh:
        fh.write(added)
    subprocess.run(GIT + ["-C", str(repo), "commit", "-qam", "text: add a helper"], check=True)
    patch = tmp_path / f"{name}.patch"
    patch.write_text(subprocess.run(["git", "-C", str(repo), "format-patch", "-1", "--stdout"], check=True,
                                    capture_output=True, text=True).stdout)
    return patch


def _review(patch: Path, index: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "auditor"), "review", str(patch), "--index", str(index), "-q", *args],
                          capture_output=True, text=True, timeout=300)


def test_review_flags_a_renamed_gpl_copy_in_an_mit_project(corpus_index, tmp_path):
    patch = _patch(tmp_path, "copy", RENAMED_DECODE)
    r = _review(patch, corpus_index, "--project-license", "MIT", "-f", "json")
    assert r.returncode == 1, r.stderr
    d = json.loads(r.stdout)
    assert d["findings"] == 1 and d["project_license"] == "MIT"
    hunk = d["hunks"][0]
    m = hunk["trace"]["matches"][0]
    assert (m["source"]["repo_name"], m["source"]["path"]) == ("pypi/mutagen", "mutagen/_util.py")
    assert m["verdict"] == "near-verbatim" and m["source"]["license"] == "GPL-2.0-or-later"
    assert m["compatibility"]["verdict"] == "incompatible"
    assert any("incompatible with MIT" in why for why in hunk["attention"])
    # the match is placed on the patched file's own lines: the function starts at line 5
    text = (tmp_path / "copy" / "tagtool" / "text.py").read_text().splitlines()
    assert m["patch_lines"][0] >= 5 and text[m["patch_lines"][1] - 1].strip() == 'return u"".join(chars), b""'
    assert hunk["trace"]["attribution"]["notice"] and "Joe Wreschnig" in hunk["trace"]["attribution"]["notice"]
    out = _review(patch, corpus_index, "--project-license", "MIT").stdout
    assert "NEEDS ATTENTION" in out and "INCOMPATIBLE with MIT" in out
    assert all(len(line) <= 72 for line in out.splitlines())
    md = _review(patch, corpus_index, "--project-license", "MIT", "-f", "markdown").stdout
    assert md.startswith("# auditor review: 1 of 1 hunk needs attention")


def test_a_patch_with_crlf_line_ends_is_reviewed_the_same(corpus_index, tmp_path):
    patch = _patch(tmp_path, "crlf", RENAMED_DECODE)
    crlf = tmp_path / "crlf-dos.patch"
    crlf.write_bytes(patch.read_bytes().replace(b"\n", b"\r\n"))
    r = _review(crlf, corpus_index, "--project-license", "MIT", "-f", "json")
    assert r.returncode == 1 and json.loads(r.stdout)["findings"] == 1, r.stdout[-500:] + r.stderr


def test_review_passes_original_code(corpus_index, tmp_path):
    patch = _patch(tmp_path, "original", ORIGINAL)
    r = _review(patch, corpus_index, "--project-license", "MIT")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "clean" in r.stdout.splitlines()[0]
    r = _review(patch, corpus_index, "--project-license", "GPLv2")
    assert r.returncode == 2 and "not an SPDX licence expression" in r.stderr


def test_review_in_a_gpl_project_still_asks_for_the_notice(corpus_index, tmp_path):
    r = _review(_patch(tmp_path, "gpl", RENAMED_DECODE), corpus_index, "--project-license", "GPL-2.0-or-later",
                "-f", "json")
    d = json.loads(r.stdout)
    assert r.returncode == 1
    hunk = d["hunks"][0]
    assert hunk["trace"]["matches"][0]["compatibility"]["verdict"] == "compatible"
    assert hunk["attention"] == ["attribution required but not in the patch"]


@pytest.mark.parametrize("payload,needle", [("", "empty"), ("just some words\n", "no diff"),
                                            ("\x00\x01binary", "binary"),
                                            ("--- a/x.py\n+++ b/x.py\n@@ -a +b @@\n+code\n", "hunk headers")])
def test_review_bad_input(corpus_index, tmp_path, payload, needle):
    p = tmp_path / "bad.patch"
    p.write_text(payload)
    r = _review(p, corpus_index)
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr


def test_trace_and_audit_take_a_project_licence(corpus_index, tmp_path):
    result = api.trace_snippet(RENAMED_DECODE, corpus_index, project_license="Apache-2.0")
    assert result.matches[0].compatibility["verdict"] == "incompatible"
    assert "--project-license Apache-2.0" in api.render(result, "text").replace("\\\n", "")
    gens = tmp_path / "gens.jsonl"
    gens.write_text(json.dumps({"id": "copy", "text": RENAMED_DECODE}) + "\n"
                    + json.dumps({"id": "own", "text": ORIGINAL}) + "\n")
    api.audit(gens, tmp_path / "audit", corpus_index, workers=1, show_progress=False, project_license="MIT")
    summary = json.loads((tmp_path / "audit" / "summary.json").read_text())
    assert summary["project_license"] == "MIT" and summary["compatibility"] == {"incompatible": 1}
    with pytest.raises(AuditorError, match="SPDX"):
        api.audit(gens, tmp_path / "audit2", corpus_index, workers=1, show_progress=False, project_license="nope")


def test_membership_finds_a_packages_own_tree(corpus_index, mutagen_wheel, tmp_path):
    tree = tmp_path / "mutagen-src"
    with zipfile.ZipFile(mutagen_wheel) as z:
        z.extractall(tree)
    shutil.rmtree(tree / "mutagen-1.47.0.dist-info")
    # the maintainer's working copy differs a little from the released file
    util = tree / "mutagen" / "_util.py"
    util.write_text(util.read_text().replace("def decode_terminated", "def decode_nul_terminated") + "\n# local\n")
    (tree / "mutagen" / "mine.py").write_text(ORIGINAL)
    report = api.membership(tree, corpus_index, show_progress=False)
    by_path = {f.path: f for f in report.files}
    init = by_path["mutagen/__init__.py"].holders[0]
    assert init.exact and init.files[0] == {"repo_name": "pypi/mutagen", "path": "mutagen/__init__.py",
                                            "license": "GPL-2.0-or-later"}
    edited = by_path["mutagen/_util.py"].holders[0]
    assert not edited.exact and edited.share >= 0.9 and edited.similarity >= 0.9
    assert edited.files[0]["path"] == "mutagen/_util.py"
    # shares windows of normalised imports with _file.py, but not its text: not a near copy
    assert [h.files[0]["path"] for h in by_path["mutagen/id3/__init__.py"].holders] == ["mutagen/id3/__init__.py"]
    assert by_path["mutagen/mine.py"].holders == []
    assert len(report.found) == len(report.files) - 1
    r = subprocess.run([str(BIN / "auditor"), "membership", str(tree), "--index", str(corpus_index), "-q", "-f", "json"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and json.loads(r.stdout)["found"] == len(report.found)


def test_membership_of_an_unindexed_tree_finds_nothing(corpus_index, tmp_path):
    tree = tmp_path / "own"
    tree.mkdir()
    (tree / "votes.py").write_text(ORIGINAL)
    report = api.membership(tree, corpus_index, show_progress=False)
    assert [f.path for f in report.files] == ["votes.py"] and report.found == []
    r = subprocess.run([str(BIN / "auditor"), "membership", str(tmp_path / "missing"), "--index", str(corpus_index)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "not a directory" in r.stderr
