"""DEP-5 standard licence short names ("GPL-2+", "Expat", "BSD-3-clause") read as SPDX.

The machine-readable ``debian/copyright`` format (DEP-5 1.0, "License specification")
defines a closed list of short names, a ``+`` for "or any later version", ``with <name>
exception`` and the ``and``/``or`` operators, where ``and`` binds tighter than ``or`` unless a
comma separates the terms. Those names are read here directly: exactly, and without loading
ScanCode. Any other name ("BSD-like", "PD", a package's own "BSD-BY-LC-NE") returns None,
and :mod:`auditor.licensing.dep5` asks ScanCode to read it from its licence text.
"""
from __future__ import annotations

import re

from auditor.licensing.spdx import normalize

# DEP-5 short name (lower case) -> SPDX id prefix; versioned names take "-<version>".
_VERSIONED = {
    "apache": "Apache", "artistic": "Artistic", "cc-by": "CC-BY", "cc-by-sa": "CC-BY-SA",
    "cc-by-nd": "CC-BY-ND", "cc-by-nc": "CC-BY-NC", "cc-by-nc-sa": "CC-BY-NC-SA", "cc-by-nc-nd": "CC-BY-NC-ND",
    "cddl": "CDDL", "cpl": "CPL", "efl": "EFL", "lppl": "LPPL", "mpl": "MPL", "python": "Python", "qpl": "QPL",
    "zope": "ZPL",
}
_UNVERSIONED = {
    "expat": "MIT", "isc": "ISC", "zlib": "Zlib", "w3c": "W3C", "cc0": "CC0-1.0", "cc0-1.0": "CC0-1.0",
    "perl": "Artistic-1.0-Perl OR GPL-1.0-or-later",  # DEP-5: "Perl" is Artistic-1.0 or GPL-1+
    "public-domain": "LicenseRef-scancode-public-domain",
}
_GNU = re.compile(r"(GPL|LGPL|AGPL|GFDL|GFDL-NIV)-(\d+(?:\.\d+)?)(\+?)", re.IGNORECASE)
_BSD = re.compile(r"BSD-([234])-clause", re.IGNORECASE)
_OTHER = re.compile(r"([A-Za-z][A-Za-z-]*?)-(\d+(?:\.\d+)*)", re.IGNORECASE)
_WITH = re.compile(r"(?P<license>.+?)\s+with\s+(?P<exception>.+?)\s+exception", re.IGNORECASE)
# "with <name> exception" -> SPDX exception, by the major version of the GNU licence it modifies.
_EXCEPTIONS = {
    "libtool": {None: "Libtool-exception"},
    "autoconf": {"2": "Autoconf-exception-2.0", "3": "Autoconf-exception-3.0"},
    "bison": {None: "Bison-exception-2.2"},
    "classpath": {None: "Classpath-exception-2.0"},
    "font": {None: "Font-exception-2.0"},
    "gcc": {"2": "GCC-exception-2.0", "3": "GCC-exception-3.1"},
}


def _gnu(name: str, version: str, later: bool) -> str:
    name = name.upper()
    if "." not in version:
        version += ".0"
    if name == "GFDL-NIV":
        return f"GFDL-{version}-no-invariants-{'or-later' if later else 'only'}"
    return f"{name}-{version}-{'or-later' if later else 'only'}"


def _term(term: str) -> str | None:
    term = term.strip()
    lower = term.lower()
    with_exception = _WITH.fullmatch(term)
    if with_exception:
        base = _term(with_exception["license"])
        major = re.search(r"-(\d)", with_exception["license"])
        table = _EXCEPTIONS.get(with_exception["exception"].strip().lower(), {})
        exception = table.get(None) or table.get(major[1] if major else "")
        return f"{base} WITH {exception}" if base and exception and " " not in base else None
    if lower in _UNVERSIONED:
        return _UNVERSIONED[lower]
    if m := _GNU.fullmatch(term):
        return _gnu(m[1], m[2], bool(m[3]))
    if m := _BSD.fullmatch(term):
        return f"BSD-{m[1]}-Clause"
    if (m := _OTHER.fullmatch(term)) and m[1].lower() in _VERSIONED:
        version = m[2] if "." in m[2] or m[1].lower() in ("cpl", "qpl") else m[2] + ".0"
        return f"{_VERSIONED[m[1].lower()]}-{version}"
    return normalize(term) if re.fullmatch(r"[A-Za-z0-9.+-]+", term) else None


def _wrap(expression: str) -> str:
    return f"({expression})" if " OR " in expression else expression


def debian_short_name_to_spdx(name: str) -> str | None:
    """The SPDX expression of a DEP-5 ``License:`` short-name expression, or None when any of
    its names is not a DEP-5 standard name (nor an SPDX id)."""
    name = (name or "").strip().rstrip(",")
    if not name:
        return None
    groups = []
    for group in re.split(r",\s*(?=(?:and|or)\s)", name, flags=re.IGNORECASE):
        op = ""
        if m := re.match(r"(and|or)\s+", group, re.IGNORECASE):
            op, group = m[1].upper(), group[m.end():]
        parts = re.split(r"\s+(and|or)\s+", group, flags=re.IGNORECASE)
        terms = [_term(t) for t in parts[0::2]]
        if not all(terms):
            return None
        expression = _wrap(terms[0]) + "".join(f" {o.upper()} {_wrap(t)}" for o, t in zip(parts[1::2], terms[1:]))
        groups.append((op, expression))
    combined = groups[0][1]
    for op, expression in groups[1:]:
        combined = f"({combined}) {op or 'AND'} ({expression})"
    return normalize(combined)
