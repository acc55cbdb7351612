"""May a matched source's code go into a project under the project's licence?

The answers come from one documented table, ``data/compatibility.json``: licence classes
on each side and a verdict with its reason for each pair, with the table's sources (the
FSF's licence list and GPL FAQ, the ASF's and Mozilla's compatibility notes, Wheeler's
licence slide) stated in the file. A licence the table does not name is classed by its
ScanCode LicenseDB category. ``docs/licence-compatibility.md`` is rendered from the same
table (:func:`table_markdown`), and a test keeps the two equal.

Expressions: the source's ``OR`` takes the best choice (the reuser picks), its ``AND`` the
worst term; every licence a project is offered under (``MIT OR Apache-2.0``) must accept
the code, so the project side takes the worst. ``WITH`` exceptions are read as their base
licence: the common ones (Classpath, GCC runtime, autoconf) concern linking or output,
not code copied into another program.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
import json
from pathlib import Path

from ..errors import AuditorError
from .spdx import category_of, expression_tree, normalize

VERDICTS = ("compatible", "needs-review", "incompatible")  # best first
_TABLE = Path(__file__).parent / "data" / "compatibility.json"


@dataclass(frozen=True)
class Compatibility:
    verdict: str  # compatible | needs-review | incompatible
    reason: str
    source_license: str | None
    project_license: str

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "reason": self.reason, "source_license": self.source_license,
                "project_license": self.project_license}


@lru_cache(maxsize=1)
def table() -> dict:
    return json.loads(_TABLE.read_text("utf-8"))


def source_class(key: str) -> str:
    """The table's class of one licence id: named in the table, else by ScanCode category."""
    t = table()["source_classes"]
    for name, spec in t.items():
        if key in spec.get("ids", ()):
            return name
    category = category_of(key)
    for name, spec in t.items():
        if category in spec.get("categories", ()):
            return name
    return "unknown"


def project_class(key: str) -> str | None:
    cls = source_class(key)
    for name, spec in table()["project_classes"].items():
        if cls in spec["from_source_classes"]:
            return name
    return None


def check_project_license(expression: str) -> str:
    """The canonical SPDX form of a project licence, or an AuditorError saying what is wrong."""
    canonical = normalize(expression)
    if canonical is None:
        raise AuditorError(f"--project-license {expression!r} is not an SPDX licence expression "
                           "(e.g. GPL-2.0-only, MIT, Apache-2.0 OR MIT)")
    return canonical


def _leaf(source_key: str | None, project_key: str) -> tuple[str, str]:
    t = table()
    src = source_class(source_key) if source_key else "unknown"
    proj = project_class(project_key)
    row = t["table"][src]
    if proj is None:
        verdict, reason = row["*"] if src in ("public-domain", "permissive") else ("needs-review", "project-unknown")
    else:
        verdict, reason = row.get(proj) or row["*"]
    return verdict, t["reasons"][reason]


def _worst(answers):
    return max(answers, key=lambda a: VERDICTS.index(a[0]))


def _best(answers):
    return min(answers, key=lambda a: VERDICTS.index(a[0]))


def compatibility(source_license: str | None, project_license: str) -> Compatibility:
    """Whether code under ``source_license`` (an SPDX expression, None when unknown) may be
    copied into a project under ``project_license`` (checked with check_project_license)."""
    project_tree = expression_tree(project_license)
    if project_tree is None:
        raise AuditorError(f"--project-license {project_license!r} is not an SPDX licence expression")
    project_keys = _keys(project_tree)
    source_tree = expression_tree(source_license) if source_license else None

    def judge(node, project_key):
        if node is None:
            return _leaf(None, project_key) + (None,)
        if node[0] == "license":
            return _leaf(node[1], project_key) + (node[1],)
        answers = [judge(child, project_key) for child in node[1]]
        return _best(answers) if node[0] == "OR" else _worst(answers)

    answers = [judge(source_tree, key) + (key,) for key in project_keys]
    verdict, reason, src_key, proj_key = _worst(answers)
    if src_key and src_key != source_license:
        reason = f"{reason} (taking {src_key})"
    if len(project_keys) > 1 and verdict != "compatible":
        reason = f"under {proj_key}: {reason}"
    return Compatibility(verdict, reason, source_license, project_license)


def _keys(node) -> list[str]:
    if node[0] == "license":
        return [node[1]]
    return list(dict.fromkeys(k for child in node[1] for k in _keys(child)))


_SHORT = {"compatible": "yes", "needs-review": "review", "incompatible": "no"}


def table_markdown() -> str:
    """The table as Markdown: one row per source class, one column per project class."""
    t = table()
    projects = list(t["project_classes"])
    out = ["| source licence \\ project licence | " + " | ".join(t["project_classes"][p]["label"] for p in projects) + " |",
           "|---" * (len(projects) + 1) + "|"]
    for src, spec in t["source_classes"].items():
        row = t["table"][src]
        cells = []
        for p in projects:
            verdict, reason = row.get(p) or row["*"]
            cells.append(f"{_SHORT[verdict]} ({reason})")
        out.append(f"| {spec['label']} | " + " | ".join(cells) + " |")
    out += ["", "Reasons:", ""] + [f"- `{k}`: {v}" for k, v in t["reasons"].items()]
    out += ["", "Sources:", ""] + [f"- {s['name']}, <{s['url']}>: {s['used_for']}" for s in t["provenance"]]
    return "\n".join(out) + "\n"
