"""``auditor verify REPORT.json``: re-run a trace report and confirm it or say what differs.

A report (schema ``auditor.trace/2``) holds the snippet, the index it was traced against and
the parameters. Verification re-runs that trace and compares every claim: the verdict, each
match's source, lines, measures and aligned blocks, its licence, evidence and holders, and
the attribution. The tool version, index path and manifest hash are not claims about the
code; where they differ it is said, but it does not fail the check.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import json
import os
from pathlib import Path

from ..config import VerifyConfig
from ..errors import AuditorError
from ..models import git_blob_sha1
from .json_report import SCHEMA, trace_dict

# Not claims about the code: differences here are noted, never failed on.
_CONTEXT = ("tool", "reproduce")
_INDEX_CONTEXT = ("path", "manifest_sha256")
_FLOAT_TOLERANCE = 1e-9


@dataclass
class Confirmation:
    confirmed: bool
    differences: list[str] = field(default_factory=list)  # claims the re-run does not support
    notes: list[str] = field(default_factory=list)  # context that changed (tool version, index path)
    summary: str = ""  # what the re-run found, in one line
    index_path: str = ""


def load_report(path: str | os.PathLike) -> dict:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise AuditorError(f"cannot read {path}: {e.strerror}") from None
    try:
        report = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise AuditorError(f"{path} is not a JSON report ({e.__class__.__name__}): "
                           "make one with 'trace-snippet --format json'") from None
    if not isinstance(report, dict) or report.get("schema") != SCHEMA:
        found = report.get("schema") if isinstance(report, dict) else None
        raise AuditorError(f"{path} has schema {found!r}; verify reads {SCHEMA!r} reports "
                           "('trace-snippet --format json')")
    snippet = report.get("snippet")
    if not isinstance(snippet, dict) or not isinstance(snippet.get("text"), str):
        raise AuditorError(f"{path} holds no snippet text to re-run")
    for section in ("params", "index", "tool", "attribution"):
        if not isinstance(report.get(section) or {}, dict):
            raise AuditorError(f"{path}: its {section!r} is not an object")
    params, index = report.get("params") or {}, report.get("index") or {}
    for where, key in ((params, "language_given"), (params, "project_license"), (index, "path"), (index, "id")):
        if not isinstance(where.get(key), (str, type(None))):
            raise AuditorError(f"{path}: its {key!r} is not text")
    if not isinstance(params.get("verify") or {}, dict):
        raise AuditorError(f"{path}: its 'verify' thresholds are not an object")
    try:
        snippet["text"].encode("utf-8")
    except UnicodeEncodeError:
        raise AuditorError(f"{path}: its snippet text holds characters that are not text (lone surrogates)") from None
    return report


def _diff(path: str, old, new, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new), key=str):
            if k not in new:
                out.append(f"{path}.{k}: in the report, not in the re-run")
            elif k not in old:
                out.append(f"{path}.{k}: not in the report; the re-run gives {_show(new[k])}")
            else:
                _diff(f"{path}.{k}" if path else str(k), old[k], new[k], out)
        return
    if isinstance(old, list) and isinstance(new, list):
        scalars = all(not isinstance(v, (dict, list)) for v in old + new)
        if scalars and len(old) == len(new) == 2:  # a line span: shown whole
            if old != new:
                out.append(f"{path}: the report says {_show(old)}, the re-run gives {_show(new)}")
            return
        if len(old) != len(new):
            out.append(f"{path}: the report has {len(old)}, the re-run {len(new)}")
        for i, (a, b) in enumerate(zip(old, new)):
            _diff(f"{path}[{i + 1 if path.endswith('matches') else i}]", a, b, out)
        return
    if isinstance(old, float) or isinstance(new, float):
        try:
            if abs(float(old) - float(new)) <= _FLOAT_TOLERANCE:
                return
        except (TypeError, ValueError):
            pass
    if old != new:
        out.append(f"{path}: the report says {_show(old)}, the re-run gives {_show(new)}")


def _show(v) -> str:
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 120 else s[:117] + "..."


def confirm(report: dict, index=None) -> Confirmation:
    """Re-run ``report``'s trace against ``index`` (an open Index, a directory, or None for the
    directory the report names) and compare."""
    from ..index.reader import open_index_at
    from ..matching.trace import trace

    text = report["snippet"]["text"]
    differences: list[str] = []
    if git_blob_sha1(text.encode("utf-8", "surrogateescape")) != report["snippet"].get("sha1"):
        differences.append("snippet.text: does not hash to the report's snippet.sha1 (the text or its id was edited)")
    rep_index = report.get("index") or {}
    if index is None:
        if not rep_index.get("path"):
            raise AuditorError("the report names no index path: pass --index DIR")
        from ..index.redis_store import is_redis_url

        if is_redis_url(rep_index["path"]):  # a report from someone else must not pick the host we connect to
            raise AuditorError(f"the report was traced against {rep_index['path']}: pass --index URL to re-run there")
        index = rep_index["path"]
    index = open_index_at(index)
    params = report.get("params") or {}
    thresholds = params.get("verify") or {}
    try:
        vcfg = VerifyConfig(**thresholds)
    except TypeError as e:
        raise AuditorError(f"the report's thresholds are not this auditor's: {e}") from None
    top_k = params.get("top_k")
    if not isinstance(top_k, int) or top_k < 1:
        raise AuditorError(f"the report's top_k is {top_k!r}; it must be a positive integer")
    if "\x00" in text or not text.strip():
        raise AuditorError("the report's snippet is empty or binary: nothing to re-run")
    project = params.get("project_license")
    if project is not None:
        from ..licensing.compatibility import check_project_license

        project = check_project_license(project)
    fresh = trace_dict(trace(index, text, top_k=top_k, language=params.get("language_given"), verify_config=vcfg,
                             project_license=project))

    notes = []
    old_tool, new_tool = (report.get("tool") or {}).get("version"), fresh["tool"]["version"]
    if old_tool != new_tool:
        notes.append(f"the report was made by auditor {old_tool}; this is auditor {new_tool}")
    new_index = fresh["index"]
    if rep_index.get("id") != new_index["id"]:
        notes.append(f"the report was traced against index {rep_index.get('id')}; this re-run used {new_index['id']}")
    for k in _INDEX_CONTEXT:
        if rep_index.get(k) != new_index.get(k) and rep_index.get("id") == new_index["id"]:
            notes.append(f"index {k} differs ({rep_index.get(k)} in the report, {new_index.get(k)} now); "
                         "its tables are the same (same index id)")
    old = {k: v for k, v in report.items() if k not in _CONTEXT}
    new = {k: v for k, v in fresh.items() if k not in _CONTEXT}
    old["index"] = {k: v for k, v in rep_index.items() if k not in _INDEX_CONTEXT}
    new["index"] = {k: v for k, v in new_index.items() if k not in _INDEX_CONTEXT}
    _diff("", old, new, differences)
    matches = fresh["matches"]
    found = "; ".join(f"#{m['rank']} {m['verdict']} {m['source']['repo_name']}: {m['source']['path']} lines "
                      f"{m['source_lines'][0]}-{m['source_lines'][1]}, {m['source']['license'] or 'licence unknown'}"
                      for m in matches[:3]) or "no match"
    summary = f"verdict {fresh['verdict']}, {len(matches)} match{'es' if len(matches) != 1 else ''}: {found}"
    return Confirmation(not differences, differences, notes, summary, index.describe()["path"])


def render_confirmation(c: Confirmation, report_path: str) -> str:
    from .columns import prose

    lines = [f"auditor verify: {'CONFIRMED' if c.confirmed else 'DIFFERS'}", ""]
    lines += prose(str(report_path), "report    ")
    lines += prose(c.index_path, "index     ")
    lines += prose(c.summary, "re-run    ")
    for n in c.notes:
        lines += prose(n, "note      ")
    if c.differences:
        lines += ["", f"{len(c.differences)} claim{'s' if len(c.differences) != 1 else ''} of the report "
                      "the re-run does not support:"]
        for d in c.differences:
            lines += prose(d, "  - ", "    ")
    else:
        lines += ["", "Every claim of the report holds: the same matches, lines, measures,",
                  "licences, holders and attribution."]
    return "\n".join(lines) + "\n"
