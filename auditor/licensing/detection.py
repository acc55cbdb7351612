"""ScanCode licence and copyright detection on texts, loaded lazily and cached per text.

Nothing here imports ScanCode at module import time. The licence index (about 1 GB,
5-8 s) is loaded by the first call that needs it, once per process, and every result
is cached by the sha1 of the text, so a header or LICENSE text shared by many files is
scanned once. Copyright detection does not need the licence index.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
import hashlib
import time

# Bounded so a worker resolving millions of files does not grow without limit; the
# texts that repeat (LICENSE files, boilerplate headers) stay hot.
CACHE_LIMIT = 100_000
LINE_CACHE_LIMIT = 200_000
# Per text and matching stage: ScanCode's approximate matching took up to 13.7 s on one
# file here. Past the deadline ScanCode returns what it matched so far.
SCAN_DEADLINE_SECONDS = 5.0
# Notices shorter than this share of the longest notice in the same header are mentions.
MAIN_NOTICE_SHARE = 0.5

@dataclass(frozen=True)
class Copyrights:
    statements: tuple[str, ...] = ()
    holders: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextLicenses:
    """What ScanCode found in a text, as SPDX expressions.

    ``notices`` comes from licence texts and notices ("Licensed under the Apache License,
    Version 2.0 ..."); ``tags`` from short declarations and references only
    (":license: BSD, see LICENSE"), which name a licence less precisely than the
    package's own licence file does.
    """

    notices: str | None = None
    tags: str | None = None

    @property
    def expression(self) -> str | None:
        from auditor.licensing.spdx import combine

        return combine([self.notices, self.tags])


_license_results: dict[str, TextLicenses] = {}
_statement_results: dict[str, str | None] = {}
_copyright_results: dict[str, Copyrights] = {}
_index_load_seconds: float | None = None


def _sha1(kind: str, text: str) -> str:
    return hashlib.sha1(kind.encode() + b"\0" + text.encode("utf-8", "surrogateescape")).hexdigest()


def _remember(cache: dict, key: str, value):
    if len(cache) >= CACHE_LIMIT:
        del cache[next(iter(cache))]
    cache[key] = value
    return value


def scancode_cache():
    """ScanCode's LicenseCache (index, licence DB, licensing), loaded once per process."""
    global _index_load_seconds
    from licensedcode import cache

    if _index_load_seconds is None:
        started = time.perf_counter()
        loaded = cache.get_cache()
        _index_load_seconds = time.perf_counter() - started
        return loaded
    return cache.get_cache()


def index_load_seconds() -> float | None:
    """How long this process took to load ScanCode's licence index, or None if it has not."""
    return _index_load_seconds


def scancode_expression_to_spdx(scancode_expression) -> str | None:
    """A ScanCode key expression (string or parsed) as a normalised SPDX expression, with
    ``LicenseRef-scancode-<key>`` for licences SPDX does not list."""
    from licensedcode.cache import build_spdx_license_expression

    from auditor.licensing.spdx import normalize

    if scancode_expression is None:
        return None
    spdx = build_spdx_license_expression(str(scancode_expression), licensing=scancode_cache().licensing)
    if not spdx:
        return None
    # license-expression's bundled LicenseDB snapshot can lag ScanCode's: keep ScanCode's
    # rendering when it names an id the snapshot lacks.
    return normalize(str(spdx)) or str(spdx)


def _says_nothing(loaded, key: str) -> bool:
    """ScanCode's "unknown" licences ("see LICENSE") and its other Unstated License keys
    (a bare warranty disclaimer): found in a text, but not a licence of it."""
    lic = loaded.db.get(key)
    return lic is not None and (lic.is_unknown or lic.category == "Unstated License")


def _only_unknown(scancode_expression: str) -> bool:
    """True when every licence in the expression says nothing usable (see _says_nothing)."""
    loaded = scancode_cache()
    keys = loaded.licensing.license_keys(scancode_expression)
    return all(_says_nothing(loaded, k) for k in keys if k in loaded.db)


def without_unstated(scancode_expression) -> str | None:
    """The expression without keys that say nothing (AND of the rest when any had to go), or
    None when nothing else is left: a long Debian licence paragraph also matches ScanCode's
    warranty-disclaimer and free-unknown rules, which are not the paragraph's licence."""
    loaded = scancode_cache()
    keys = loaded.licensing.license_keys(scancode_expression)
    kept = [k for k in keys if not _says_nothing(loaded, k)]
    if not kept:
        return None
    if len(kept) == len(keys):
        return str(scancode_expression)
    return " AND ".join(dict.fromkeys(kept))


def _combine_scancode(expressions: Iterable[str]) -> str | None:
    from license_expression import combine_expressions

    expressions = [e for e in dict.fromkeys(expressions) if e]
    if not expressions:
        return None
    return str(combine_expressions(expressions, relation="AND", unique=True, licensing=scancode_cache().licensing))


def scancode_keys_to_spdx(keys: Iterable[str]) -> str | None:
    """ScanCode keys or key expressions -> one SPDX expression (AND, deduplicated).
    An item naming a key ScanCode does not know becomes ``unknown``."""
    from license_expression import ExpressionError

    loaded = scancode_cache()
    items = []
    for key in keys:
        try:
            parsed = loaded.licensing.parse(key.strip())
            known = parsed is not None and not loaded.licensing.unknown_license_keys(parsed)
        except ExpressionError:
            known = False
        items.append(str(parsed) if known else "unknown")
    return scancode_expression_to_spdx(_combine_scancode(items))


def _is_notice_or_text(match) -> bool:
    return bool(match.rule.is_license_notice or match.rule.is_license_text)


def _split_notices_and_tags(detections) -> TextLicenses:
    notices, tags = [], []
    detections = [d for d in detections if d.license_expression and not _only_unknown(d.license_expression)]
    # A short notice far smaller than the file's main one speaks of other components
    # (lz4cli.c, under a GPL-2.0+ notice: "The license of LZ4 library is BSD ... of this
    # CLI program is GPLv2"): it is a mention, weaker evidence, not part of the file's licence.
    notices_found = [m for d in detections for m in d.matches if _is_notice_or_text(m)]
    main = max(notices_found, key=lambda m: m.len(), default=None)

    def is_mention(m) -> bool:
        # Only below the main notice: a short notice above it is usually the file's own
        # (zstd's "BSD or GPLv2" header above an embedded component's full BSD-2 text).
        return m.len() < MAIN_NOTICE_SHARE * main.len() and m.lines()[0] > main.lines()[1]

    for found in detections:
        notice_matches = [m for m in found.matches if _is_notice_or_text(m) and not is_mention(m)]
        if not notice_matches:
            tags.append(found.license_expression)
            continue
        # ScanCode groups adjacent lines into one detection. A short reference next to a
        # notice belongs to it ("You should have received a copy of the GNU Lesser General
        # Public License" closing an LGPL-3.0+ notice, which alone reads as LGPL-2.1+) or
        # repeats the package's licence (":license: BSD" above Nokia's Apache-2.0 notice).
        notices.extend(m.rule.license_expression for m in notice_matches if not _only_unknown(m.rule.license_expression))
    return TextLicenses(
        notices=scancode_expression_to_spdx(_combine_scancode(notices)),
        tags=scancode_expression_to_spdx(_combine_scancode(tags)),
    )


def scan_text(text: str, approximate: bool | None = True) -> TextLicenses:
    """Licences ScanCode detects in ``text`` (a header block or a LICENSE file).

    ``approximate`` turns on ScanCode's approximate (sequence) matching, which finds
    modified licence texts but costs about 0.6 s on a 4 KB header where exact matching
    (hash, SPDX-id and Aho-Corasick stages) takes about 3 ms. None means: exact first,
    approximate only if exact matching detected nothing at all. Detections made only of
    "unknown" licences (a bare "see LICENSE") are dropped from the result.
    """
    if not text or not text.strip():
        return TextLicenses()
    key = _sha1(f"license-{approximate}", text)
    if key in _license_results:
        return _license_results[key]
    detections = _detect_licenses(text, approximate=bool(approximate))
    if approximate is None and not detections:
        # Exact matching recognised nothing at all, not even a "see LICENSE" reference:
        # the text may be a modified licence. (This ran on 42 of 791 distinct
        # site-packages headers with licence words, and found 4 licences the exact stages
        # missed, e.g. ply's BSD text.)
        detections = _detect_licenses(text, approximate=True)
    return _remember(_license_results, key, _split_notices_and_tags(detections))


def _detect_licenses(text: str, approximate: bool) -> list:
    """ScanCode's ``licensedcode.detection.detect_licenses`` on ``text``, step for step, less
    the content identifier it hashes for every detection: it re-tokenises each match's
    matched text, which was 37% of the detection time on source headers, and nothing here
    reads it. (``tests/test_licensing_speedups.py`` checks the two agree on real headers.)"""
    from licensedcode.detection import (
        LicenseDetection,
        analyze_detection,
        get_detected_license_expression,
        group_matches,
        process_detections,
    )

    loaded = scancode_cache()
    matches = loaded.index.match(query_string=text, approximate=approximate,
                                 deadline=time.time() + SCAN_DEADLINE_SECONDS)
    if not matches:
        return []
    detections = []
    for group in group_matches(license_matches=matches):
        analysis = analyze_detection(license_matches=group, package_license=False)
        log, expression = get_detected_license_expression(analysis=analysis, license_matches=group, post_scan=False)
        detections.append(LicenseDetection(matches=group, detection_log=log,
                                           license_expression=None if expression is None else str(expression)))
    return list(process_detections(detections=detections, licensing=loaded.licensing))


def license_in_text(text: str) -> str | None:
    """SPDX expression of every licence ScanCode detects in ``text``, AND-combined."""
    return scan_text(text).expression


def license_in_statement(statement: str) -> str | None:
    """SPDX expression for a declared-licence string from a manifest ("Apache 2.0",
    "License :: OSI Approved :: MIT License", "apache-2.0 AND lgpl-2.1", a pasted licence
    text): as SPDX, else as ScanCode keys, else by ScanCode's manifest-statement detection."""
    from auditor.licensing.spdx import normalize

    if not statement or not statement.strip() or statement.strip().upper() in ("UNKNOWN", "NONE"):
        return None
    spdx = normalize(statement)
    if spdx:
        return spdx
    key = _sha1("statement", statement)
    if key in _statement_results:
        return _statement_results[key]
    from license_expression import ExpressionError

    loaded = scancode_cache()
    try:
        parsed = loaded.licensing.parse(statement.strip(), validate=True, strict=True)
    except ExpressionError:  # not a ScanCode key expression: detect it as text below
        parsed = None
    if parsed is not None:
        return _remember(_statement_results, key, scancode_expression_to_spdx(parsed))
    from packagedcode.licensing import get_license_detections_and_expression

    _, expression = get_license_detections_and_expression(extracted_license_statement=statement)
    if expression is None or _only_unknown(str(expression)):
        return _remember(_statement_results, key, None)
    return _remember(_statement_results, key, scancode_expression_to_spdx(expression))


def copyrights_in_text(text: str) -> Copyrights:
    """Copyright statements and holders ScanCode's copyright detector finds in ``text``.

    ScanCode cuts a text into groups of candidate lines and parses each group on its own;
    the parse (a lexer of several hundred patterns, then a grammar) is most of the cost, and
    the groups repeat across a package's files ("Copyright (C) Daniel Stenberg, et al." in
    900 curl headers that differ elsewhere). So each group's result is cached by its text,
    which gives exactly what ``detect_copyrights_from_lines`` gives on the whole text.
    """
    if not text or not text.strip():
        return Copyrights()
    key = _sha1("copyright", text)
    if key in _copyright_results:
        return _copyright_results[key]
    cluecode = _copyright_module()
    deadline = time.time() + SCAN_DEADLINE_SECONDS
    statements: list[str] = []
    holders: list[str] = []
    for group in cluecode.collect_candidate_lines(list(enumerate(text.splitlines(), 1))):
        found = _copyright_group(tuple(line for _, line in group), cluecode)
        statements.extend(found.statements)
        holders.extend(found.holders)
        if time.time() > deadline:
            break
    found = Copyrights(statements=tuple(dict.fromkeys(statements)), holders=tuple(dict.fromkeys(holders)))
    return _remember(_copyright_results, key, found)


def _copyright_module():
    """ScanCode's copyright module, its candidate-line helpers memoised per line.

    ``collect_candidate_lines`` prepares and tests every line of a text (markup stripping,
    a gibberish detector), which was 40% of copyright detection on source headers. Both
    helpers are pure functions of one line, and a package's headers repeat most of their
    lines (134,377 header lines, 38,424 distinct, in the licensing benchmark's packages),
    so they are cached; the module looks them up by global name at each call."""
    from cluecode import copyrights as cluecode

    if not getattr(cluecode, "_auditor_line_cache", False):
        for name in ("prepare_text_line", "is_candidate"):
            if callable(getattr(cluecode, name, None)):
                setattr(cluecode, name, lru_cache(maxsize=LINE_CACHE_LIMIT)(getattr(cluecode, name)))
        cluecode._auditor_line_cache = True
    return cluecode


def _copyright_group(lines: tuple[str, ...], cluecode) -> Copyrights:
    key = _sha1("copyright-group", "\n".join(lines))
    if key in _copyright_results:
        return _copyright_results[key]
    if cluecode.DETECTOR is None:
        cluecode.DETECTOR = cluecode.CopyrightDetector()
    detections = cluecode.DETECTOR.detect(
        numbered_lines=list(enumerate(lines, 1)),
        include_copyrights=True,
        include_holders=True,
        include_authors=False,
        include_copyright_years=True,
        include_copyright_allrights=False,
    )
    statements, holders, _ = cluecode.Detection.split(list(detections), to_dict=False)
    found = Copyrights(statements=tuple(dict.fromkeys(s.copyright for s in statements)),
                       holders=tuple(dict.fromkeys(h.holder for h in holders)))
    return _remember(_copyright_results, key, found)
