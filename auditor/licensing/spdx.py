"""SPDX expressions: normalising, categorising, obligations, and SPDX-License-Identifier tags.

Everything here except :func:`from_scancode_keys` works without ScanCode, so the query
path can use it: expressions are parsed by ``license-expression`` (whose SPDX symbol
table is ScanCode's LicenseDB, ``LicenseRef-scancode-*`` ids included) and categories
come from ``data/spdx_categories.json``, generated from ScanCode's DB by
``gen_categories.py``.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
import json
from pathlib import Path
import re

CATEGORIES_JSON = Path(__file__).with_name("data") / "spdx_categories.json"

# From most to least permissive. OR picks the lowest rank (the licensee chooses), AND the
# highest (every term applies). "unknown" ranks above every copyleft: a file whose terms
# are partly unknown cannot be called permissive. Only "proprietary" is worse.
CATEGORY_RANK = {
    "public-domain": 0,
    "permissive": 1,
    "weak-copyleft": 2,
    "strong-copyleft": 3,
    "network-copyleft": 4,
    "unknown": 5,
    "proprietary": 6,
}

# Licence families (SPDX id prefixes) with obligations beyond the category's.
_STATE_CHANGES_PREFIXES = ("Apache-2.0", "GPL-", "LGPL-", "AGPL-", "MPL-")
_NOTICE_FILE_PREFIXES = ("Apache-2.0",)

# An SPDX expression uses only these characters; whatever follows on the line is a
# comment closer or border ("*/", "-->", "*|", a closing quote).
_SPDX_TAG = re.compile(r"SPDX-License-Identifier:\s*(?P<expr>[A-Za-z0-9.+:()\- ]+)", re.IGNORECASE)
TAG_SEARCH_LINES = 60


@lru_cache(maxsize=1)
def _spdx_licensing():
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


def _parse(expression: str, strict: bool):
    """Parsed expression or None. ``strict``: every symbol must be a known licence id and
    WITH must name an exception."""
    from license_expression import ExpressionError  # ExpressionParseError is a subclass

    try:
        return _spdx_licensing().parse(expression, validate=strict, strict=strict)
    except ExpressionError:
        return None


def normalize(expression: str | None) -> str | None:
    """The canonical SPDX form of ``expression`` ("GPL-2.0+" -> "GPL-2.0-or-later"), or None
    when it does not parse or names a licence unknown to SPDX and ScanCode's LicenseDB."""
    if not expression or not expression.strip():
        return None
    parsed = _parse(expression.strip(), strict=True)
    if parsed is None:
        return None
    return str(_spdx_licensing().dedup(_flattened(parsed)))


def _flattened(node):
    """``(A AND B) AND B`` as ``A AND B AND B``, at every depth (boolean.py's ``flatten``
    does one level), so that ``dedup`` can then drop the repeats."""
    licensing = _spdx_licensing()
    if isinstance(node, (licensing.AND, licensing.OR)):
        return node.__class__(*(_flattened(arg) for arg in node.args)).flatten()
    return node


def combine(expressions: Iterable[str], relation: str = "AND") -> str | None:
    """Join SPDX expressions with ``relation``, dropping duplicates and Nones."""
    from license_expression import combine_expressions

    unique = list(dict.fromkeys(e for e in expressions if e))
    if not unique:
        return None
    if len(unique) == 1:
        return unique[0]
    combined = str(combine_expressions(unique, relation=relation, unique=True, licensing=_spdx_licensing()))
    # An id newer than license-expression's LicenseDB snapshot is kept as written.
    return normalize(combined) or combined


def from_scancode_keys(keys: Iterable[str] | str) -> str | None:
    """ScanCode licence keys (``["mit", "apache-2.0"]``, as The Stack v2 ``detected_licenses``
    holds them, or one ScanCode key expression) as one SPDX expression, AND-combined.

    Keys ScanCode does not know become ``LicenseRef-scancode-unknown`` rather than being
    dropped, so the category of the result is "unknown", not falsely permissive.
    Loads ScanCode's licence DB (build time only).
    """
    from auditor.licensing import detection

    if isinstance(keys, str):
        keys = [keys]
    return detection.scancode_keys_to_spdx([k for k in keys if k and k.strip()])


@lru_cache(maxsize=1)
def _catalog() -> dict:
    return json.loads(CATEGORIES_JSON.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _category_table() -> dict[str, str]:
    table = dict(_catalog()["categories"])
    table.update({k.lower(): v for k, v in list(table.items())})
    return table


def license_text_holders(expressions: Iterable[str | None]) -> frozenset[str]:
    """Holders named inside the texts of the copyleft licences in ``expressions`` (the FSF
    in the GPL's own text): a copyright in the licence document, not in the code."""
    table = _catalog()["license_text_holders"]
    holders: set[str] = set()
    for expression in expressions:
        parsed = _parse(expression, strict=False) if expression else None
        if parsed is not None:
            for key in _spdx_licensing().license_keys(parsed):
                holders.update(table.get(key, ()))
    return frozenset(holders)


def _symbol_category(key: str) -> str:
    table = _category_table()
    return table.get(key) or table.get(key.lower()) or "unknown"


def _walk(node) -> tuple[str, frozenset[str]]:
    """(category, obligations) of a parsed expression node."""
    from license_expression import LicenseSymbol, LicenseWithExceptionSymbol

    licensing = _spdx_licensing()
    if isinstance(node, LicenseWithExceptionSymbol):
        category, duties = _walk(node.license_symbol)
        exception = _symbol_category(node.exception_symbol.key)
        # An exception only ever relaxes the licence (Classpath: GPL -> weak copyleft).
        if "unknown" not in (category, exception) and CATEGORY_RANK[exception] < CATEGORY_RANK[category]:
            category = exception
            if category not in ("weak-copyleft", "strong-copyleft", "network-copyleft"):
                duties = duties - {"share-alike", "network-use"}
        return category, duties
    if isinstance(node, LicenseSymbol):
        category = _symbol_category(node.key)
        return category, _symbol_obligations(node.key, category)
    branches = [_walk(arg) for arg in node.args]
    if isinstance(node, licensing.OR):
        return min(branches, key=lambda b: CATEGORY_RANK[b[0]])
    category = max((b[0] for b in branches), key=CATEGORY_RANK.__getitem__)
    return category, frozenset().union(*(b[1] for b in branches))


def _symbol_obligations(key: str, category: str) -> frozenset[str]:
    if category in ("public-domain", "unknown"):
        return frozenset()
    # Proprietary-but-redistributable terms at least require keeping the notice and text.
    duties = {"attribution", "license-text"}
    if key.startswith(_NOTICE_FILE_PREFIXES):
        duties.add("notice-file")
    if key.startswith(_STATE_CHANGES_PREFIXES):
        duties.add("state-changes")
    if category in ("weak-copyleft", "strong-copyleft", "network-copyleft"):
        duties.add("share-alike")
    if category == "network-copyleft":
        duties.add("network-use")
    return frozenset(duties)


@lru_cache(maxsize=4096)
def _category_and_obligations(expression: str) -> tuple[str, frozenset[str]]:
    parsed = _parse(expression, strict=False)
    if parsed is None:
        return "unknown", frozenset()
    return _walk(parsed)


def category_of(expression: str | None) -> str:
    """One of CATEGORY_RANK's keys. OR takes the most permissive choice, AND the most
    restrictive term; a licence missing from ScanCode's DB is "unknown"."""
    if not expression:
        return "unknown"
    return _category_and_obligations(expression)[0]


@lru_cache(maxsize=4096)
def expression_tree(expression: str | None):
    """``expression`` as nested tuples, to walk without license-expression's classes:
    ``("AND" | "OR", (children))`` or ``("license", key, exception key or None)``; None when
    it does not parse. Remembered per expression: every match of every trace asks for its
    source's licence tree, and an index holds few distinct expressions."""
    from license_expression import LicenseSymbol, LicenseWithExceptionSymbol

    parsed = _parse(expression, strict=False) if expression else None
    if parsed is None:
        return None
    licensing = _spdx_licensing()

    def walk(node):
        if isinstance(node, LicenseWithExceptionSymbol):
            return ("license", node.license_symbol.key, node.exception_symbol.key)
        if isinstance(node, LicenseSymbol):
            return ("license", node.key, None)
        return ("OR" if isinstance(node, licensing.OR) else "AND", tuple(walk(arg) for arg in node.args))

    return walk(parsed)


@lru_cache(maxsize=1)
def spdx_ids() -> frozenset[str]:
    """Every licence id the category table knows: SPDX ids and ScanCode's ``LicenseRef-scancode-*``."""
    return frozenset(_catalog()["categories"])


_OBLIGATION_ORDER = ("attribution", "license-text", "notice-file", "state-changes", "share-alike", "network-use")


def obligations(expression: str | None) -> list[str]:
    """What redistributing code under ``expression`` requires, from its category and licence
    family: attribution, license-text, notice-file (Apache-2.0), state-changes (Apache-2.0,
    GPL, LGPL, AGPL, MPL), share-alike (copyleft), network-use (AGPL and other network
    copyleft). For OR, those of the most permissive choice; for AND, all terms'."""
    if not expression:
        return []
    duties = _category_and_obligations(expression)[1]
    return [d for d in _OBLIGATION_ORDER if d in duties]


def spdx_tag_lines(text: str, max_lines: int = TAG_SEARCH_LINES) -> list[tuple[int, str]]:
    """(1-based line, normalised expression) of each SPDX-License-Identifier tag in the first
    ``max_lines`` lines. Tags that do not normalise (custom LicenseRef-*, typos) are skipped."""
    found = []
    for number, line in enumerate(text.splitlines()[:max_lines], 1):
        match = _SPDX_TAG.search(line)
        if not match:
            continue
        raw = match.group("expr").strip().rstrip("- ")  # "MIT -->" leaves "MIT --"
        expression = normalize(raw)
        if expression:
            found.append((number, expression))
    return found


def spdx_tags(text: str) -> list[str]:
    """The SPDX-License-Identifier tags in the first ~60 lines of ``text``, normalised, unique."""
    return list(dict.fromkeys(expr for _, expr in spdx_tag_lines(text)))
