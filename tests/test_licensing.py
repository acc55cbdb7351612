"""auditor.licensing on real files: installed distributions, the stdlib, files with SPDX
tags and licence headers from site-packages, and a real DEP-5 debian/copyright.

ScanCode's licence index is loaded once for the whole module (5-8 s).
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from pathlib import Path
import shutil
import subprocess
import sys
import sysconfig

import pytest

from auditor.licensing import detection
from auditor.licensing.package import PackageEvidence, evidence_for_distribution, stdlib_evidence
from auditor.licensing.resolve import resolve, resolve_many
from auditor.licensing.spdx import category_of, from_scancode_keys, normalize, obligations, spdx_tags
from auditor.models import SourceFile


def module_file(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin:
        pytest.skip(f"{name} is not installed")
    return Path(spec.origin)


def distribution(name: str) -> importlib.metadata.Distribution:
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"distribution {name} is not installed")


def source_file(path: Path, relpath: str, evidence: PackageEvidence | None = None, **dataset) -> SourceFile:
    content = path.read_text(encoding="utf-8")
    return SourceFile(
        blob_id=SourceFile.blob_id_of(content),
        repo_name=evidence.name if evidence else "dataset",
        path=relpath,
        content=content,
        license_findings=evidence.findings_for(relpath) if evidence else (),
        holders=evidence.holders_for(relpath) if evidence else (),
        copyrights=evidence.copyrights_for(relpath) if evidence else (),
        **dataset,
    )


# --- spdx: no ScanCode ---------------------------------------------------------------

@pytest.mark.parametrize("given, expected", [
    ("mit", "MIT"),
    ("GPL-2.0+", "GPL-2.0-or-later"),
    ("Apache-2.0 or MIT", "Apache-2.0 OR MIT"),
    ("LGPL-2.1+", "LGPL-2.1-or-later"),
    ("GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"),
    ("MIT AND MIT", "MIT"),
    ("((Apache-2.0 AND CC-BY-4.0) AND CC-BY-4.0) AND CC-BY-4.0", "Apache-2.0 AND CC-BY-4.0"),
    ("LicenseRef-scancode-public-domain", "LicenseRef-scancode-public-domain"),
    ("BSD", None),  # not an SPDX id
    ("MIT/X11", None),
    ("", None),
])
def test_normalize(given, expected):
    assert normalize(given) == expected


@pytest.mark.parametrize("expression, category", [
    ("MIT", "permissive"),
    ("LGPL-2.1-or-later", "weak-copyleft"),
    ("GPL-3.0-only", "strong-copyleft"),
    ("AGPL-3.0-only", "network-copyleft"),
    ("SSPL-1.0", "network-copyleft"),
    ("MIT OR GPL-3.0-only", "permissive"),
    ("MIT AND GPL-3.0-only", "strong-copyleft"),
    ("CC0-1.0", "public-domain"),
    ("GPL-2.0-only WITH Classpath-exception-2.0", "weak-copyleft"),
    ("LicenseRef-scancode-commercial-license", "proprietary"),
    ("MIT AND LicenseRef-scancode-unknown", "unknown"),
    (None, "unknown"),
])
def test_category_of(expression, category):
    assert category_of(expression) == category


def test_obligations():
    assert obligations("Apache-2.0") == ["attribution", "license-text", "notice-file", "state-changes"]
    assert obligations("MIT") == ["attribution", "license-text"]
    assert "network-use" in obligations("AGPL-3.0-or-later")
    assert "share-alike" in obligations("LGPL-2.1-only")
    assert obligations("MIT OR GPL-3.0-only") == ["attribution", "license-text"]
    assert "share-alike" in obligations("MIT AND GPL-3.0-only")
    assert obligations("CC0-1.0") == []
    assert obligations(None) == []


def test_spdx_tags_in_real_files():
    # intbitset_helper.py (Invenio, CERN): "# SPDX-License-Identifier: LGPL-3.0-or-later"
    assert spdx_tags(module_file("intbitset_helper").read_text()) == ["LGPL-3.0-or-later"]
    # debian_inspector/version.py is vendored from deb-pkg-tools: MIT inside an Apache-2.0 package.
    assert spdx_tags(module_file("debian_inspector.version").read_text()) == ["MIT"]
    assert spdx_tags(module_file("colorsys").read_text()) == []


def test_query_path_does_not_import_scancode():
    code = (
        "import sys, auditor.licensing as L\n"
        "assert L.category_of('MIT AND GPL-3.0-only') == 'strong-copyleft'\n"
        "assert L.normalize('GPL-2.0+') == 'GPL-2.0-or-later'\n"
        "assert L.obligations('Apache-2.0')\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('scancode', 'licensedcode', 'cluecode', 'packagedcode', 'debian_inspector')]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_category_json_matches_scancode_db():
    """The checked-in JSON is what gen_categories makes from the installed ScanCode."""
    from auditor.licensing import gen_categories

    checked_in = json.loads(gen_categories.OUTPUT.read_text(encoding="utf-8"))
    assert checked_in["scancode_toolkit"] == importlib.metadata.version("scancode-toolkit")
    licenses = gen_categories.load_scancode_licenses()
    assert checked_in["categories"] == gen_categories.build_table(licenses)
    assert checked_in["license_text_holders"] == gen_categories.build_text_holders(licenses)


# --- ScanCode keys (loads the licence index) -----------------------------------------

def test_from_scancode_keys():
    assert from_scancode_keys(["mit", "apache-2.0"]) == "MIT AND Apache-2.0"
    assert from_scancode_keys(["gpl-2.0-plus", "bsd-new", "gpl-2.0-plus"]) == "GPL-2.0-or-later AND BSD-3-Clause"
    assert from_scancode_keys("mit OR gpl-3.0") == "MIT OR GPL-3.0-only"
    assert from_scancode_keys(["public-domain"]) == "LicenseRef-scancode-public-domain"
    unknown = from_scancode_keys(["mit", "not-a-scancode-key"])
    assert unknown == "MIT AND LicenseRef-scancode-unknown"
    assert category_of(unknown) == "unknown"
    assert from_scancode_keys([]) is None


# --- package evidence ----------------------------------------------------------------

def test_distribution_metadata_license_field():
    evidence = evidence_for_distribution(distribution("requests"))
    assert [(f.expression, f.source) for f in evidence.findings] == [("Apache-2.0", "package-metadata")]
    assert evidence.findings[0].detail.endswith("METADATA: License")
    assert "Kenneth Reitz" in evidence.holders


def test_distribution_license_expression_and_holders():
    urllib3 = evidence_for_distribution(distribution("urllib3"))
    assert urllib3.findings[0].expression == "MIT"
    assert urllib3.findings[0].detail.endswith("METADATA: License-Expression")
    assert any("Andrey Petrov" in h for h in urllib3.holders)

    numpy = evidence_for_distribution(distribution("numpy"))
    assert numpy.findings[0].expression == normalize(distribution("numpy").metadata["License-Expression"])
    assert "NumPy Developers" in numpy.holders


def test_distribution_own_metadata_not_a_vendored_one():
    # scancode-toolkit vendors attrs' dist-info inside licensedcode/_vendor.
    evidence = evidence_for_distribution(distribution("scancode-toolkit"))
    assert evidence.findings[0].detail.startswith("scancode_toolkit-")
    assert "Apache-2.0" in evidence.findings[0].expression
    assert "nexB Inc. and others" in evidence.holders


def test_distribution_classifiers_through_scancode():
    evidence = evidence_for_distribution(distribution("colorama"))  # only trove classifiers
    assert evidence.findings[0].expression == "BSD-3-Clause"
    assert evidence.findings[0].detail.endswith("METADATA: Classifier")


def test_license_text_holder_is_not_the_package_holder():
    # intbitset ships the LGPL-3.0 text as LICENSE: its "Copyright (C) 2007 Free Software
    # Foundation" is the licence document's, not intbitset's.
    evidence = evidence_for_distribution(distribution("intbitset"))
    assert evidence.findings[0].expression == "LGPL-3.0-or-later"
    assert not any("Free Software Foundation" in h for h in evidence.holders)


def test_stdlib_evidence():
    evidence = stdlib_evidence()
    assert evidence.findings[0].expression == "PSF-2.0"
    assert evidence.holders == ("Python Software Foundation",)
    if (Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt").is_file():
        assert evidence.findings[0].detail.endswith("LICENSE.txt")
        assert all("Python Software Foundation" in c for c in evidence.copyrights)


def test_tree_with_wheel_metadata_and_license_files(tmp_path):
    dist = distribution("numpy")
    info = next(p for p in dist.files if len(p.parts) == 2 and p.name == "METADATA").parent
    shutil.copytree(Path(dist.locate_file(info)), tmp_path / info.name)
    evidence = PackageEvidence.from_tree(tmp_path, "numpy")
    sources = [f.source for f in evidence.findings]
    assert sources[0] == "package-metadata" and "license-file" in sources
    assert evidence.findings_for("numpy/__init__.py") == evidence.findings
    assert "NumPy Developers" in evidence.holders


def test_tree_package_json_legacy_licenses_array():
    root = Path("/usr/lib/node_modules/npm/node_modules/qrcode-terminal")
    if not (root / "package.json").is_file():
        pytest.skip("npm's bundled qrcode-terminal is not installed")
    evidence = PackageEvidence.from_tree(root, "qrcode-terminal")  # "licenses": [{"type": "Apache 2.0"}]
    assert evidence.findings[0].expression == "Apache-2.0"
    assert evidence.findings[0].source == "package.json"


def test_tree_pyproject_license_table():
    third_party = Path("/usr/lib/google-cloud-sdk/platform/gsutil/third_party")
    if not (third_party / "argcomplete" / "pyproject.toml").is_file():
        pytest.skip("gsutil's vendored argcomplete/idna are not installed")
    text = PackageEvidence.from_tree(third_party / "argcomplete", "argcomplete")  # {text = "Apache Software License"}
    assert (text.findings[0].expression, text.findings[0].source) == ("Apache-2.0", "pyproject")
    file = PackageEvidence.from_tree(third_party / "idna", "idna")  # {file = "LICENSE.md"}
    assert file.findings[0].expression == "BSD-3-Clause"
    assert "LICENSE.md" in file.findings[0].detail


@pytest.fixture(scope="module")
def gzip_tree(tmp_path_factory):
    """gzip's real DEP-5 copyright in a tree with files for each of its stanzas:
    ``*`` GPL-3+, ``debian/*`` GPL-3+ (Bdale Garbee), ``doc/* NEWS README`` GFDL,
    ``gzip.1 zless.1`` FSF-manpages; COPYING is the real GPL-3 text."""
    dep5 = Path("/usr/share/doc/gzip/copyright")
    gpl3 = Path("/usr/share/common-licenses/GPL-3")
    if not dep5.is_file() or not gpl3.is_file():
        pytest.skip("gzip's DEP-5 copyright or common-licenses/GPL-3 is missing")
    root = tmp_path_factory.mktemp("gzip")
    (root / "debian").mkdir()
    shutil.copy(dep5, root / "debian" / "copyright")
    shutil.copy(gpl3, root / "COPYING")
    gzip_c = module_file("gzip")  # any real source text will do for the content
    for rel in ("gzip.c", "lib/xalloc.h", "doc/gzip.texi", "doc/fdl/fdl.texi", "NEWS", "lib/NEWS", "gzip.1", "debian/rules"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(gzip_c, root / rel)
    return root, PackageEvidence.from_tree(root, "gzip")


def test_dep5_last_matching_stanza_wins(gzip_tree):
    _, evidence = gzip_tree
    first = {rel: evidence.findings_for(rel)[0] for rel in (
        "gzip.c", "lib/xalloc.h", "doc/gzip.texi", "doc/fdl/fdl.texi", "NEWS", "lib/NEWS", "gzip.1", "debian/rules")}
    assert all(f.source == "dep5" for f in first.values())
    gpl = "GPL-3.0-or-later"
    assert first["gzip.c"].expression == first["lib/xalloc.h"].expression == gpl  # "*" matches "/" too
    assert first["doc/gzip.texi"].expression == first["doc/fdl/fdl.texi"].expression == "GFDL-1.3-or-later"
    assert first["NEWS"].expression == "GFDL-1.3-or-later"
    assert first["lib/NEWS"].expression == gpl  # "NEWS" is anchored at the root
    assert first["debian/rules"].expression == gpl and "debian/*" in first["debian/rules"].detail
    assert "gzip.1" in first["gzip.1"].detail and first["gzip.1"].expression != gpl


def test_dep5_holders_per_stanza(gzip_tree):
    _, evidence = gzip_tree
    assert evidence.holders_for("debian/rules") == ("Bdale Garbee",)
    assert "Jean-loup Gailly and Mark Adler" in evidence.holders_for("gzip.c")
    assert "Jean-loup Gailly" in evidence.holders_for("doc/gzip.texi")
    # COPYING is the GPL itself: a licence file finding, but not a holder.
    assert [f.source for f in evidence.findings] == ["license-file"]
    assert evidence.findings[0].expression.startswith("GPL-3.0")
    assert evidence.holders == ()


# --- resolve -------------------------------------------------------------------------

def test_resolve_header_notice_beats_package_metadata():
    # Pygments (BSD-2-Clause) ships a Robot Framework lexer under Nokia's Apache-2.0 header.
    pygments = evidence_for_distribution(distribution("pygments"))
    path = module_file("pygments.lexers.robotframework")
    sf = source_file(path, "pygments/lexers/robotframework.py", pygments)
    resolved = resolve(sf)
    assert resolved.expression == "Apache-2.0"
    assert resolved.findings[0].source == "header"
    assert resolved.conflict
    assert "Nokia Siemens Networks Oyj" in resolved.holders

    without = resolve(sf, scan_header=False)
    assert without.expression == "BSD-2-Clause" and not without.conflict


def test_resolve_short_header_tag_ranks_below_package():
    # ":license: BSD, see LICENSE for details." names the family, LICENSE the variant.
    pygments = evidence_for_distribution(distribution("pygments"))
    sf = source_file(module_file("pygments.lexers.python"), "pygments/lexers/python.py", pygments)
    resolved = resolve(sf)
    assert resolved.expression == "BSD-2-Clause"
    assert [f.source for f in resolved.findings] == ["package-metadata", "header-tag"]


def test_resolve_spdx_tag_and_gpl_header():
    intbitset = evidence_for_distribution(distribution("intbitset"))
    sf = source_file(module_file("intbitset_helper"), "intbitset_helper.py", intbitset)
    resolved = resolve(sf)
    assert resolved.expression == "LGPL-3.0-or-later"
    assert [f.source for f in resolved.findings] == ["spdx-tag", "header", "package-metadata"]
    assert resolved.category == "weak-copyleft" and not resolved.conflict
    assert resolved.holders == ("CERN",)


def test_resolve_vendored_file_conflicts_with_package():
    evidence = evidence_for_distribution(distribution("debian_inspector"))
    sf = source_file(module_file("debian_inspector.version"), "debian_inspector/version.py", evidence)
    resolved = resolve(sf)
    assert resolved.expression == "MIT" and resolved.conflict
    assert "Peter Odding" in resolved.holders


def test_resolve_dataset_metadata():
    path = module_file("colorsys")  # no header: ScanCode is never asked
    as_v2 = resolve(source_file(path, "colorsys.py", detected_licenses=("bsd-new",), gha_license_id="bsd-3-clause"))
    assert as_v2.expression == "BSD-3-Clause" and not as_v2.conflict
    assert [f.detail for f in as_v2.findings] == ["detected_licenses", "gha_license_id"]
    as_v1 = resolve(source_file(path, "colorsys.py", detected_licenses=("MIT", "Apache-2.0")))
    assert as_v1.expression == "MIT AND Apache-2.0"
    assert resolve(source_file(path, "colorsys.py")).category == "unknown"


def test_resolve_stdlib_file_without_header_costs_no_scan(monkeypatch):
    import licensedcode.detection

    def fail(*args, **kwargs):
        raise AssertionError("ScanCode licence detection ran on a file without licence words")

    monkeypatch.setattr(licensedcode.detection, "detect_licenses", fail)
    resolved = resolve(source_file(module_file("colorsys"), "colorsys.py", stdlib_evidence()))
    assert (resolved.expression, resolved.category) == ("PSF-2.0", "permissive")
    assert resolved.holders == ("Python Software Foundation",)


def test_header_scanned_once_per_text(monkeypatch):
    pygments = evidence_for_distribution(distribution("pygments"))
    path = module_file("pygments.lexers.robotframework")
    first = resolve(source_file(path, "pygments/lexers/robotframework.py", pygments))
    calls = []
    real = detection._detect_licenses
    monkeypatch.setattr(detection, "_detect_licenses", lambda *a, **k: calls.append(1) or real(*a, **k))
    # The same blob in another repository: same header text, no new scan.
    again = resolve(source_file(path, "vendor/robotframework.py", pygments))
    assert calls == [] and again.expression == first.expression


def test_resolve_many_keeps_order():
    pygments = evidence_for_distribution(distribution("pygments"))
    files = [
        source_file(module_file("pygments.lexers.robotframework"), "pygments/lexers/robotframework.py", pygments),
        source_file(module_file("pygments.lexers.python"), "pygments/lexers/python.py", pygments),
    ]
    assert resolve_many(files) == [resolve(f) for f in files]
    assert detection.index_load_seconds() is not None
