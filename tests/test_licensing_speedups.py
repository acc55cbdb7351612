"""The shortcuts that make licensing cheap must give what ScanCode itself gives.

- ``detection._detect_licenses`` is ScanCode's ``detect_licenses`` without its detection ids;
- ``detection.copyrights_in_text`` caches ScanCode's copyright parse per group of lines;
- DEP-5 standard short names are read without ScanCode, and ScanCode reads only the rest.

Each is compared with the plain ScanCode call on real headers of installed packages.
"""
from __future__ import annotations

from pathlib import Path
import shutil
import sysconfig

import pytest

from auditor.licensing import dep5, detection
from auditor.licensing.debian_names import debian_short_name_to_spdx
from auditor.licensing.resolve import _LICENSE_WORDS, header_block

PACKAGES_WITH_HEADERS = ("licensedcode", "cluecode", "packagedcode", "pygments", "idna", "urllib3", "jinja2")


def real_headers(limit: int = 60) -> list[str]:
    """Header blocks with licence words, from installed packages (sorted, so the same every run)."""
    site = Path(sysconfig.get_paths()["purelib"])
    per_package = limit // len(PACKAGES_WITH_HEADERS) + 1
    headers, seen = [], set()
    for package in PACKAGES_WITH_HEADERS:
        taken = 0
        for path in sorted((site / package).rglob("*.py")) if (site / package).is_dir() else ():
            header = header_block(path.read_text(encoding="utf-8", errors="replace"))
            if taken < per_package and _LICENSE_WORDS.search(header) and header not in seen:
                seen.add(header)
                headers.append(header)
                taken += 1
    if len(headers) < 20:
        pytest.skip("too few installed files with licence headers")
    return headers[:limit]


@pytest.fixture(scope="module")
def headers() -> list[str]:
    return real_headers()


@pytest.mark.parametrize("approximate", [False, True])
def test_license_detection_steps_equal_scancode_detect_licenses(headers, approximate):
    from licensedcode.detection import detect_licenses

    detection.scancode_cache()
    for text in headers:
        ours = detection._detect_licenses(text, approximate=approximate)
        theirs = list(detect_licenses(query_string=text, approximate=approximate))
        assert [d.license_expression for d in ours] == [d.license_expression for d in theirs]
        assert [[m.rule.identifier for m in d.matches] for d in ours] == \
               [[m.rule.identifier for m in d.matches] for d in theirs]
        assert detection._split_notices_and_tags(ours) == detection._split_notices_and_tags(theirs)


def test_copyright_groups_equal_scancode_whole_text(headers):
    from cluecode.copyrights import Detection, detect_copyrights_from_lines

    texts = list(headers)
    gpl = Path("/usr/share/common-licenses/GPL-3")
    if gpl.is_file():
        texts.append(gpl.read_text(encoding="utf-8"))
    found_any = 0
    for text in texts:
        statements, holders, _ = Detection.split(list(detect_copyrights_from_lines(
            list(enumerate(text.splitlines(), 1)), include_authors=False)), to_dict=False)
        expected = (tuple(dict.fromkeys(s.copyright for s in statements)), tuple(dict.fromkeys(h.holder for h in holders)))
        detection._copyright_results.clear()  # each text parsed afresh, group cache included
        ours = detection.copyrights_in_text(text)
        assert (ours.statements, ours.holders) == expected
        found_any += bool(ours.holders)
    assert found_any >= len(texts) // 2  # the comparison is not between empty results


def test_copyright_groups_are_cached_across_texts(monkeypatch):
    """Two headers that differ elsewhere share the copyright group: it is parsed once."""
    cluecode = detection._copyright_module()
    detection._copyright_results.clear()
    calls = []
    real = cluecode.CopyrightDetector.detect
    monkeypatch.setattr(cluecode.CopyrightDetector, "detect", lambda self, **k: calls.append(1) or real(self, **k))
    first = "/* lib/a.c: reading */\n\n/*\n * Copyright (C) 2004 Daniel Stenberg, et al.\n */\nint a;\n"
    second = first.replace("lib/a.c: reading", "lib/b.c: writing").replace("int a;", "int b;")
    assert detection.copyrights_in_text(first) == detection.copyrights_in_text(second)
    assert detection.copyrights_in_text(first).holders == ("Daniel Stenberg",)
    assert len(calls) == 1


@pytest.mark.parametrize("name, expected", [
    ("GPL-2+", "GPL-2.0-or-later"),
    ("GPL-2", "GPL-2.0-only"),
    ("LGPL-2.1+", "LGPL-2.1-or-later"),
    ("GPL-3.0+", "GPL-3.0-or-later"),
    ("Expat", "MIT"),
    ("expat", "MIT"),
    ("zlib", "Zlib"),
    ("BSD-3-clause", "BSD-3-Clause"),
    ("Apache-2.0", "Apache-2.0"),
    ("MPL-2", "MPL-2.0"),
    ("CC-BY-SA-3.0", "CC-BY-SA-3.0"),
    ("public-domain", "LicenseRef-scancode-public-domain"),
    ("Perl", "Artistic-1.0-Perl OR GPL-1.0-or-later"),
    ("GFDL-NIV-1.3+", "GFDL-1.3-no-invariants-or-later"),
    ("GPL-2+ with Libtool exception", "GPL-2.0-or-later WITH Libtool-exception"),
    ("GPL-3+ with Autoconf exception", "GPL-3.0-or-later WITH Autoconf-exception-3.0"),
    ("BSD-3-clause or GPL-2", "BSD-3-Clause OR GPL-2.0-only"),
    ("BSD-2-clause and Expat", "BSD-2-Clause AND MIT"),
    # DEP-5: "and" binds tighter than "or", unless a comma comes first.
    ("GPL-2+ or Artistic-2.0, and BSD-3-clause", "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause"),
    ("Apache-2.0 and MIT, or GPL-3+", "(Apache-2.0 AND MIT) OR GPL-3.0-or-later"),
    ("curl", "curl"),  # an SPDX id is a name too
    # Not standard names: left to ScanCode and the package's own licence text.
    ("BSD-BY-LC-NE", None),
    ("PD", None),
    ("permissive-fsf", None),
    ("GPL-2+ with Autoconf-data exception", None),
    ("GPL-2+ or BSD-like-with-advertising-clause", None),
    ("", None),
])
def test_debian_short_names(name, expected):
    assert debian_short_name_to_spdx(name) == expected


def test_dep5_asks_scancode_only_for_nonstandard_names(tmp_path, monkeypatch):
    """gzip's real DEP-5 file: GPL-3+ is a standard name; FSF-manpages and the spelling
    "GFDL-1.3+-no-invariant" (the standard one is GFDL-NIV-1.3+) are not, so ScanCode's
    Debian licensing reads those two from their stand-alone paragraphs, and only those."""
    source = Path("/usr/share/doc/gzip/copyright")
    if not source.is_file():
        pytest.skip("gzip's DEP-5 copyright is missing")
    shutil.copy(source, tmp_path / "copyright")
    asked = []
    real = dep5._debian_licensing
    monkeypatch.setattr(dep5, "_debian_licensing", lambda parsed, names: asked.append(set(names)) or real(parsed, names))
    stanzas = dep5.read_dep5(tmp_path / "copyright")
    assert asked == [{"FSF-manpages", "GFDL-1.3+-no-invariant"}]
    by_name = {s.license_name: s.expression for s in stanzas}
    assert by_name["GPL-3+"] == "GPL-3.0-or-later"
    assert by_name["GFDL-1.3+-no-invariant"] == "GFDL-1.3-or-later"  # ScanCode, from its licence text
    assert by_name["FSF-manpages"] and by_name["FSF-manpages"] != "GPL-3.0-or-later"
