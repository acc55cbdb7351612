"""What a reader needs to re-run a trace: tool, index, corpus, parameters and the command.

Every renderer shows the same facts, taken from here. ``auditor verify REPORT.json``
re-runs them and says whether the report still holds.
"""
from __future__ import annotations

import platform
import shlex

from .. import __version__
from ..config import VerifyConfig
from ..models import TraceResult

SNIPPET_ARG = "SNIPPET"  # stands for the snippet file in the command


def reproduce_info(r: TraceResult) -> dict:
    ix, params = r.index, r.params
    language = params.get("language_given")
    cmd = ["auditor", "trace-snippet", "--index", str(ix.get("path") or "DIR"), "--top-k", str(params.get("top_k", 5))]
    if language:
        cmd += ["--language", language]
    if params.get("project_license"):
        cmd += ["--project-license", params["project_license"]]
    verify = params.get("verify") or {}
    defaults = VerifyConfig().__dict__
    changed = {k: v for k, v in verify.items() if defaults.get(k) != v}
    # thresholds other than this version's defaults are only reachable through the library API
    call = None
    if changed:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(changed.items()))
        call = (f"auditor.api.trace_snippet(open({SNIPPET_ARG!r}).read(), {str(ix.get('path'))!r}, "
                f"top_k={params.get('top_k', 5)}, language={language!r}, "
                f"project_license={params.get('project_license')!r}, "
                f"verify_config=auditor.config.VerifyConfig({args}))")
    return {
        "tool": {"name": "auditor", "version": __version__},
        "python": platform.python_version(),
        "index": {k: ix.get(k) for k in ("id", "manifest_sha256", "path", "config", "files", "windows")},
        "sources": list(ix.get("sources") or []),
        "params": {"top_k": params.get("top_k"), "language": language, "language_traced": params.get("language"),
                   "project_license": params.get("project_license")},
        "thresholds": dict(verify),
        "thresholds_changed": changed,
        "snippet_swhid": r.snippet.swhid,
        "argv": cmd + [SNIPPET_ARG, "--format", "json"],
        "command": shlex.join(cmd) + f" {SNIPPET_ARG} --format json > report.json",
        "python_call": call,
        "verify_command": "auditor verify report.json",
    }


def thresholds_phrase(info: dict) -> str:
    changed = info["thresholds_changed"]
    if not changed:
        return "this version's defaults"
    return ", ".join(f"{k}={v}" for k, v in sorted(changed.items())) + "; others default"
