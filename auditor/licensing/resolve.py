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
from dataclasses import dataclass
import re

from auditor.licensing import detection
from auditor.licensing.spdx import category_of, combine, from_scancode_keys, normalize, spdx_tag_lines
from auditor.models import LicenseFinding, ResolvedLicense, SourceFile

HEADER_LINES = 60
HEADER_CHARS = 4096
_LICENSE_WORDS = re.compile(r"licen[cs]|copyright|\bgpl\b|permission|warranty", re.IGNORECASE)
# Without one of these a header holds at most a copyright line and a short tag, which
# exact matching finds: ScanCode's slow approximate matching would have nothing to find.
# Phrases of licence texts and notices. Only a header holding one is worth ScanCode's
# approximate matching (0.6 s a header) when exact matching found nothing: that is a
# modified licence text. A header that merely says "license" or "copyright" is not.
_LICENSE_TERMS = re.compile(
    r"permission is hereby granted|redistribution and use|free software|licensed under|"
    r"without (?:any )?warranty|provided .{0,4}as is|general public licen[cs]e|mozilla public|"
    r"apache licen[cs]e|public domain|this (?:software|program|file|library) (?:is|may be) (?:distributed|"
    r"licensed|used)", re.IGNORECASE)
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


@dataclass(frozen=True)
class BlobScan:
    """What ScanCode says about one file's content (its header block): licence notice,
    licence tag, copyright statements and holders. It depends on the content only, so it is
    computed once per distinct blob and cached by blob sha1 across builds."""

    notice: str | None = None
    tag: str | None = None
    statements: tuple[str, ...] = ()
    holders: tuple[str, ...] = ()
    header_lines: int = 0

    def to_json(self) -> dict:
        return {"notice": self.notice, "tag": self.tag, "statements": list(self.statements),
                "holders": list(self.holders), "header_lines": self.header_lines}

    @classmethod
    def from_json(cls, d: dict) -> "BlobScan":
        return cls(d.get("notice"), d.get("tag"), tuple(d.get("statements") or ()), tuple(d.get("holders") or ()),
                   int(d.get("header_lines") or 0))


def scan_blob(content: str) -> BlobScan:
    """Run ScanCode on the header block of ``content``, only where it has licence or copyright words."""
    header = header_block(content)
    # The SPDX tags are evidence of their own (above): scanning them again would only echo
    # them and hide a header notice that says something else.
    text = _SPDX_TAG_LINE.sub("", header)
    notice = tag = None
    if _LICENSE_WORDS.search(text):
        found = detection.scan_text(text, approximate=None if _LICENSE_TERMS.search(text) else False)
        notice, tag = found.notices, found.tags
    statements: tuple[str, ...] = ()
    holders: tuple[str, ...] = ()
    if _COPYRIGHT_WORDS.search(header):
        found_copyrights = detection.copyrights_in_text(header)
        holders, statements = found_copyrights.holders, found_copyrights.statements
    return BlobScan(notice, tag, statements, holders, len(header.splitlines()))


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


# Evidence precise enough that disagreement means something. A package-wide LICENSE file
# (often several licences for several parts) and short header tags are left out.
_DECISIVE = frozenset({"spdx-tag", "header", "dep5", "package-metadata", "package.json", "pyproject", "dataset"})


def _licence_ids(expression: str) -> frozenset[str]:
    words = re.split(r"[\s()]+", expression)
    return frozenset(w for w in words if w and w.upper() not in ("AND", "OR", "WITH"))


def _conflict(findings: list[LicenseFinding]) -> bool:
    """Two decisive findings that share no licence at all: "GPL-2.0-or-later" against
    "BSD-2-Clause" is a conflict; "MIT" against "MIT AND Apache-2.0" is not."""
    sets = [_licence_ids(f.expression) for f in findings if f.source in _DECISIVE and f.expression]
    return any(a.isdisjoint(b) for i, a in enumerate(sets) for b in sets[i + 1:])


def resolve(sf: SourceFile, scan_header: bool = True, blob_scan: BlobScan | None = None) -> ResolvedLicense:
    """The licence of ``sf``, its evidence, and its copyright holders.

    With ``scan_header=False`` ScanCode is not used for the file itself (package-level
    findings were resolved by the reader; ScanCode keys in ``detected_licenses`` still
    need ScanCode's licence DB). ``blob_scan`` is a cached :func:`scan_blob` of the content.
    """
    findings: list[LicenseFinding] = []
    tag = _tag_finding(sf)
    if tag:
        findings.append(tag)
    scan = (blob_scan or scan_blob(sf.content)) if scan_header else BlobScan()
    where = f"{sf.path}:1-{scan.header_lines}"
    if scan.notice:
        findings.append(LicenseFinding(scan.notice, "header", where))
    findings += sf.license_findings
    if scan.tag:
        findings.append(LicenseFinding(scan.tag, "header-tag", where))
    findings += _dataset_findings(sf)

    expression = findings[0].expression if findings else None
    return ResolvedLicense(
        expression=expression,
        category=category_of(expression),
        findings=tuple(findings),
        conflict=_conflict(findings),
        holders=_unique(scan.holders, sf.holders),
        copyrights=_unique(scan.statements, sf.copyrights),
        license_text=_license_text(sf, expression),
        notice_text=sf.notice_text,
    )


def _license_text(sf: SourceFile, expression: str | None) -> str | None:
    """The package's licence text when it is this file's licence: the decided expression is
    one the package itself declares (a file tagged GPL in an MIT package gets no MIT text)."""
    if not sf.license_text or not expression:
        return None
    return sf.license_text if expression in {f.expression for f in sf.license_findings} else None


def resolve_many(files: Iterable[SourceFile], workers: int = 1, scan_header: bool = True) -> list[ResolvedLicense]:
    """:func:`resolve` over ``files``, in order; with ``workers > 1`` in a process pool
    (each worker loads ScanCode's index once, so this pays off for thousands of files)."""
    if workers <= 1:
        return [resolve(sf, scan_header) for sf in files]
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(partial(resolve, scan_header=scan_header), files, chunksize=64))
