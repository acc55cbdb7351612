"""Which notice a licence calls for: its family.

The family of a licence id comes from its ScanCode category (``spdx_categories.json``
through :func:`category_of`); a small explicit table refines the families whose notices
differ in wording (MIT, BSD, ISC, Apache-2.0, GPL, LGPL, AGPL, MPL-2.0, the waivers), and
applies only where the data agrees on the category.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..licensing.spdx import CATEGORY_RANK, category_of, expression_tree

# id -> family, and id prefixes -> family; each family with the category it must have.
_FAMILY_IDS = {"MIT": "mit", "ISC": "isc", "Apache-2.0": "apache", "MPL-2.0": "mpl",
               "Unlicense": "public-domain", "CC0-1.0": "public-domain",
               # Permissive without any condition: nothing to reproduce.
               "0BSD": "no-conditions", "MIT-0": "no-conditions"}
_FAMILY_PREFIXES = (("BSD-", "bsd"), ("AGPL-", "agpl"), ("LGPL-", "lgpl"), ("GPL-", "gpl"))
_FAMILY_CATEGORY = {"mit": "permissive", "bsd": "permissive", "isc": "permissive", "apache": "permissive",
                    "no-conditions": "permissive", "gpl": "strong-copyleft", "lgpl": "weak-copyleft",
                    "agpl": "network-copyleft", "mpl": "weak-copyleft", "public-domain": "public-domain"}
# Families that owe no notice at all.
NO_NOTICE_FAMILIES = frozenset({"public-domain", "no-conditions"})


@dataclass(frozen=True)
class Term:
    """One licence that applies to a source, after the licensee's choice among OR branches."""

    key: str  # SPDX id or LicenseRef-scancode-*
    exception: str | None
    family: str  # a _FAMILY_IDS/_FAMILY_PREFIXES family, else the key's category
    category: str


def family_of(key: str) -> str:
    category = category_of(key)
    family = _FAMILY_IDS.get(key) or next((f for prefix, f in _FAMILY_PREFIXES if key.startswith(prefix)), None)
    if family is not None and _FAMILY_CATEGORY[family] == category:
        return family
    return category


def _rank(node) -> int:
    if node[0] == "license":
        return CATEGORY_RANK[category_of(node[1])]
    ranks = [_rank(child) for child in node[1]]
    return min(ranks) if node[0] == "OR" else max(ranks)


def _chosen(node) -> list[tuple[str, str | None]]:
    if node[0] == "license":
        return [(node[1], node[2])]
    if node[0] == "OR":  # the licensee picks the most permissive branch (as category_of does)
        return _chosen(min(node[1], key=_rank))
    return [leaf for child in node[1] for leaf in _chosen(child)]


def terms_of(expression: str | None) -> list[Term]:
    """The licences of ``expression`` a reuser must honour: every AND term, the most
    permissive OR branch. [] when the expression is None or does not parse."""
    tree = expression_tree(expression)
    if tree is None:
        return []
    terms = []
    for key, exception in dict.fromkeys(_chosen(tree)):
        terms.append(Term(key, exception, family_of(key), category_of(key)))
    return terms


def leaves(expression: str | None) -> list[tuple[str, str | None]]:
    """Every (licence id, exception) in ``expression``, whatever the OR choice."""
    tree = expression_tree(expression)
    out: list[tuple[str, str | None]] = []

    def walk(node):
        if node[0] == "license":
            out.append((node[1], node[2]))
        else:
            for child in node[1]:
                walk(child)

    if tree is not None:
        walk(tree)
    return out
