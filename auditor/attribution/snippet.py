"""What a snippet itself says about licence and copyright, without ScanCode.

Three kinds of claim: SPDX-License-Identifier tags; licence ids and common licence names
("MIT License", "GNU General Public License version 2", "GPLv3+"); copyright lines. A
licence claim is an SPDX id, a family pattern (``GPL-*`` when no version is named) or
``category:public-domain`` ("released into the public domain").
"""
from __future__ import annotations

from dataclasses import dataclass
import re

from ..licensing.spdx import category_of, normalize, spdx_ids, spdx_tags

_LICENCE_LINE = re.compile(r"licen[cs]|copyright|spdx|©", re.IGNORECASE)
_ID_TOKEN = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9.+-]*[A-Za-z0-9+]|(?<![\w.+-])[A-Za-z0-9](?![\w.+-])")
# A single-word id ("MIT", "JSON", "Intel") counts only right next to a licence word.
_ID_BESIDE = re.compile(
    r"(?:licen[cs]ed?\s+under\s+(?:the\s+)?|licen[cs]e\s*[:=]\s*[\"']?|@license\s+|License-Expression:\s*)"
    r"(?P<after>[A-Za-z0-9][A-Za-z0-9.+-]*)|(?P<before>[A-Za-z0-9][A-Za-z0-9.+-]*)\s+licen[cs]e", re.IGNORECASE)
# "Copyright (c) 2010 Jane", "Copyright Jane Doe", "© 2010", "(c) 2010": not a variable named copyright.
_COPYRIGHT_LINE = re.compile(
    r"\b(?i:copyright)\b:?\s*(?:\([cC]\)|©|\d{4})|\bCopyright:?\s+[A-Z][a-z]|\([cC]\)\s*\d{4}|©")
_COMMENT_EDGES = re.compile(r"^[\s#/*;!'\"-]+|[\s*/#'\"-]+$")

# Common names, in the words licence notices use. (pattern, claim)
_NAMES = [(re.compile(p, re.IGNORECASE), claim) for p, claim in (
    (r"\bMIT[ -]licen[cs]e\b|\blicen[cs]ed under (?:the )?MIT\b|"
     r"Permission is hereby granted, free of charge, to any person", "MIT"),
    (r"\bApache Licen[cs]e,?\s+(?:Version\s+|v)?2(?:\.0)?\b|\bApache[- ]2\.0\b", "Apache-2.0"),
    (r"\bApache (?:Software )?Licen[cs]e\b", "Apache-*"),
    (r"\bMozilla Public Licen[cs]e,?\s+(?:Version\s+|v\.?\s*)?2\.0\b|\bMPL[- ]?2\.0\b", "MPL-2.0"),
    (r"\bMozilla Public Licen[cs]e\b", "MPL-*"),
    (r"Redistribution and use in source and binary forms|\bBSD[- ]licen[cs]e|\b[234]-clause BSD\b|"
     r"\bBSD[- ][234][- ]Clause\b|licen[cs]e\s*:\s*BSD\b", "BSD-*"),
    (r"\bISC Licen[cs]e\b|Permission to use, copy, modify, and(?:/or)? distribute this software for any purpose "
     r"with or without fee is hereby granted, provided that", "ISC"),
    (r"free and unencumbered software released into the public domain|\bThe Unlicense\b", "Unlicense"),
    (r"\bCC0\b|\bCreative Commons Zero\b", "CC0-1.0"),
    (r"\b(?:dedicated to|released (?:in)?to|placed (?:in|into)|is in) the public domain\b", "category:public-domain"),
    (r"\bPython Software Foundation Licen[cs]e\b|\bPSF Licen[cs]e\b", "PSF-2.0"),
    (r"\bEclipse Public Licen[cs]e\b", "EPL-*"),
)]
_GNU_NAME = re.compile(r"\bGNU\s+(?P<kind>Affero\s+|Lesser\s+|Library\s+)?General\s+Public\s+Licen[cs]e\b"
                       r"(?:[^.\n]{0,80}?\bversion\s+(?P<version>\d(?:\.\d)?))?", re.IGNORECASE)
# "GPLv2+", "LGPL v2.1", "the GPL": not an SPDX id such as GPL-2.0-only (found as an id).
_GPL_ABBREV = re.compile(r"\b(?P<kind>A|L)?GPL ?v?(?P<version>\d(?:\.\d)?)?(?![\w-]|\.\d)")
_GNU_PREFIX = {"affero": "AGPL", "lesser": "LGPL", "library": "LGPL", "a": "AGPL", "l": "LGPL"}


@dataclass(frozen=True)
class SnippetClaims:
    tags: tuple[str, ...] = ()  # SPDX-License-Identifier expressions, normalised
    licenses: tuple[str, ...] = ()  # every licence claim, tags' ids included
    copyrights: tuple[str, ...] = ()  # copyright lines, without comment markers


def _gnu_claim(kind: str | None, version: str | None) -> str:
    prefix = _GNU_PREFIX.get((kind or "").strip().lower(), "GPL")
    if not version:
        return f"{prefix}-*"
    return f"{prefix}-{version if '.' in version else version + '.0'}"


def _ids_on(line: str, known: frozenset[str]) -> list[str]:
    found = []
    for match in _ID_BESIDE.finditer(line):
        token = (match.group("after") or match.group("before")).rstrip(".")
        if token in known:
            found.append(token)
    # Ids with a version or a hyphen ("Apache-2.0", "BSD-3-Clause") are distinctive anywhere on such a line.
    found += [t for t in (m.group(0).rstrip(".") for m in _ID_TOKEN.finditer(line))
              if t in known and re.search(r"[\d-]", t)]
    return [normalize(t) or t for t in found]


def scan_snippet(text: str) -> SnippetClaims:
    tags = tuple(spdx_tags(text))
    claims: list[str] = []
    for tag in tags:
        claims += [t for t in re.split(r"[\s()]+", tag) if t and t.upper() not in ("AND", "OR", "WITH")]
    known = spdx_ids()
    copyrights = []
    for line in text.splitlines():
        if not _LICENCE_LINE.search(line):
            continue
        claims += _ids_on(line, known)
        if _COPYRIGHT_LINE.search(line) and not re.search(r"SPDX-License-Identifier", line, re.IGNORECASE):
            cleaned = _COMMENT_EDGES.sub("", line)
            if cleaned:
                copyrights.append(cleaned)
    flat = " ".join(text.split())  # names wrap across comment lines
    for pattern, claim in _NAMES:
        if pattern.search(flat):
            claims.append(claim)
    claims += [_gnu_claim(m.group("kind"), m.group("version")) for m in _GNU_NAME.finditer(flat)]
    claims += [_gnu_claim(m.group("kind"), m.group("version")) for m in _GPL_ABBREV.finditer(text)]
    claims = list(dict.fromkeys(claims))
    # "Apache License, Version 2.0" also reads as "Apache License": keep the precise claim.
    claims = [c for c in claims if not (c.endswith("-*") and any(
        d.startswith(c[:-1]) and not d.endswith("-*") for d in claims))]
    return SnippetClaims(tags, tuple(claims), tuple(dict.fromkeys(copyrights)))


def _base(key: str) -> tuple[str, tuple[int, ...] | None, bool]:
    """("GPL", (2, 0), True) for GPL-2.0-or-later: family, version, whether later versions are allowed."""
    later = key.endswith(("-or-later", "+"))
    stem = re.sub(r"(-only|-or-later|\+)$", "", key)
    match = re.fullmatch(r"(.+?)-(\d+(?:\.\d+)*)", stem)
    if not match:
        return stem, None, later
    return match.group(1), tuple(int(x) for x in match.group(2).split(".")), later


def claim_matches(claim: str, key: str) -> bool:
    """Whether a snippet's licence ``claim`` names the licence ``key`` (an SPDX id)."""
    if claim.startswith("category:"):
        return category_of(key) == claim.split(":", 1)[1]
    if claim.endswith("-*"):
        return key.startswith(claim[:-1])
    if claim == key:
        return True
    c_family, c_version, _ = _base(claim)
    k_family, k_version, k_later = _base(key)
    if c_family != k_family:
        return False
    if c_version is None:  # "the GPL": any version
        return True
    if k_version is None:
        return False
    return c_version == k_version or (k_later and c_version > k_version)


def satisfied(tree, claims: tuple[str, ...]) -> bool:
    """Whether the claims name the licence of ``tree`` (from ``expression_tree``): one OR
    branch, every AND term."""
    if tree is None:
        return False
    if tree[0] == "license":
        return any(claim_matches(c, tree[1]) for c in claims)
    results = [satisfied(child, claims) for child in tree[1]]
    return any(results) if tree[0] == "OR" else all(results)


def mentions(text: str, phrase: str) -> bool:
    """``phrase`` in ``text`` as whole words, case and spacing aside."""
    words = phrase.split()
    if not words or len(phrase.strip()) < 3:
        return False
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"
    return re.search(pattern, text, re.IGNORECASE) is not None
