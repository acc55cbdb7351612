"""Deciding one file's licence from all the evidence for it, strongest first.

1. SPDX-License-Identifier tags in the file ("spdx-tag");
2. licence notices in its header, the first 60 lines / 4 KB, scanned by ScanCode only
   when it contains licence-ish words, so most files cost nothing ("header");
3. package-level findings the reader attached: DEP-5, manifests, LICENSE files;
4. short licence tags in the header (":license: BSD, see LICENSE"), which say less
   precisely what the package's licence file says ("header-tag");
5. dataset metadata: ``detected_licenses`` (SPDX ids in The Stack v1, ScanCode keys in
   v2), then ``gha_license_id`` ("dataset").

The strongest finding decides; ``conflict`` says the evidence disagrees.
"""
from __future__ import annotations

from collections.abc import Iterable
import re

from auditor.licensing import detection
from auditor.licensing.spdx import category_of, combine, from_scancode_keys, normalize, spdx_tag_lines
from auditor.models import LicenseFinding, ResolvedLicense, SourceFile

HEADER_LINES = 60
HEADER_CHARS = 4096
_LICENSE_WORDS = re.compile(r"licen[cs]|copyright|\bgpl\b|permission|warranty", re.IGNORECASE)
# Without one of these a header holds at most a copyright line and a short tag, which
# exact matching finds: ScanCode's slow approximate matching would have nothing to find.
_LICENSE_TERMS = re.compile(r"licen[cs]|\bgpl\b|permission|warranty", re.IGNORECASE)
_COPYRIGHT_WORDS = re.compile(r"copyright|\(c\)|©", re.IGNORECASE)
_SPDX_TAG_LINE = re.compile(r"^.*SPDX-License-Identifier:.*$", re.IGNORECASE | re.MULTILINE)


def header_block(content: str) -> str:
    """The first HEADER_LINES lines of ``content``, at most HEADER_CHARS characters."""
    return "\n".join(content[: HEADER_CHARS * 4].splitlines()[:HEADER_LINES])[:HEADER_CHARS]


def _tag_finding(sf: SourceFile) -> LicenseFinding | None:
    tags = spdx_tag_lines(sf.content)
    if not tags:
        return None
    expression = combine(expr for _, expr in tags)
    lines = ",".join(str(line) for line, _ in tags)
    return LicenseFinding(expression, "spdx-tag", f"{sf.path}:{lines} SPDX-License-Identifier")


def _header_findings(sf: SourceFile, header: str) -> tuple[LicenseFinding | None, LicenseFinding | None]:
    """(notice finding, tag finding) of the header block."""
    # The SPDX tags are evidence of their own (above): scanning them again would only echo
    # them and hide a header notice that says something else.
    text = _SPDX_TAG_LINE.sub("", header)
    if not _LICENSE_WORDS.search(text):
        return None, None
    found = detection.scan_text(text, approximate=None if _LICENSE_TERMS.search(text) else False)
    where = f"{sf.path}:1-{len(header.splitlines())}"
    return (
        LicenseFinding(found.notices, "header", where) if found.notices else None,
        LicenseFinding(found.tags, "header-tag", where) if found.tags else None,
    )


def _dataset_findings(sf: SourceFile) -> list[LicenseFinding]:
    findings = []
    declared = [d for d in sf.detected_licenses if d and d.strip()]
    if declared:
        spdx = [normalize(d) for d in declared]
        expression = combine(spdx) if all(spdx) else from_scancode_keys(declared)
        if expression:
            findings.append(LicenseFinding(expression, "dataset", "detected_licenses"))
    gha = normalize(sf.gha_license_id) if sf.gha_license_id else None
    if gha:
        findings.append(LicenseFinding(gha, "dataset", "gha_license_id"))
    return findings


def _unique(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for group in groups for item in group if item))


def resolve(sf: SourceFile, scan_header: bool = True) -> ResolvedLicense:
    """The licence of ``sf``, its evidence, and its copyright holders.

    With ``scan_header=False`` ScanCode is not used for the file itself (package-level
    findings were resolved by the reader; ScanCode keys in ``detected_licenses`` still
    need ScanCode's licence DB).
    """
    header = header_block(sf.content)
    findings: list[LicenseFinding] = []
    tag = _tag_finding(sf)
    if tag:
        findings.append(tag)
    notice, short_tag = _header_findings(sf, header) if scan_header else (None, None)
    if notice:
        findings.append(notice)
    findings += sf.license_findings
    if short_tag:
        findings.append(short_tag)
    findings += _dataset_findings(sf)

    holders: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()
    if scan_header and _COPYRIGHT_WORDS.search(header):
        found_copyrights = detection.copyrights_in_text(header)
        holders, statements = found_copyrights.holders, found_copyrights.statements

    expression = findings[0].expression if findings else None
    return ResolvedLicense(
        expression=expression,
        category=category_of(expression),
        findings=tuple(findings),
        conflict=len({f.expression for f in findings}) > 1,
        holders=_unique(holders, sf.holders),
        copyrights=_unique(statements, sf.copyrights),
    )


def resolve_many(files: Iterable[SourceFile], workers: int = 1, scan_header: bool = True) -> list[ResolvedLicense]:
    """:func:`resolve` over ``files``, in order; with ``workers > 1`` in a process pool
    (each worker loads ScanCode's index once, so this pays off for thousands of files)."""
    if workers <= 1:
        return [resolve(sf, scan_header) for sf in files]
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(partial(resolve, scan_header=scan_header), files, chunksize=64))
