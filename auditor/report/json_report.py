"""The trace JSON, schema ``auditor.trace/2`` (documented in README.md).

It holds the snippet's text and everything needed to re-run the trace, so that
``auditor verify REPORT.json`` can confirm it or say what differs."""
from __future__ import annotations

import json

from .. import __version__
from ..models import Match, TraceResult, to_plain
from .reproduce import reproduce_info

SCHEMA = "auditor.trace/2"


def _match(m: Match) -> dict:
    s = m.source
    return {
        "rank": m.rank, "verdict": m.verdict, "score": m.score, "coverage": m.coverage,
        "identity": m.identity, "exact_share": m.exact_share, "longest_run": m.longest_run, "why": m.why,
        "snippet_lines": list(m.snippet_lines), "source_lines": list(m.source_lines),
        "source": {
            "repo_name": s.repo_name, "path": s.path, "revision": s.revision, "blob_id": s.blob_id,
            "swhid": s.swhid, "license": s.license, "license_category": s.license_category,
            "license_conflict": s.license_conflict, "license_evidence": list(s.license_evidence),
            "holders": list(s.holders), "copyrights": list(s.copyrights),
        },
        "blocks": to_plain(list(m.blocks)),
        "also_in": list(m.also_in),
        "compatibility": m.compatibility,
    }


def trace_dict(r: TraceResult) -> dict:
    a = r.attribution
    return {
        "schema": SCHEMA,
        "tool": {"name": "auditor", "version": __version__},
        "snippet": {"sha1": r.snippet.sha1, "swhid": r.snippet.swhid, "lines": r.snippet.lines,
                    "tokens": r.snippet.tokens, "language": r.snippet.language, "text": r.snippet.text},
        "verdict": r.verdict,
        "matches": [_match(m) for m in r.matches],
        "attribution": {"required": a.required, "present_in_snippet": a.present_in_snippet,
                        "wrong_license": a.wrong_license, "license": a.license,
                        "notice": a.notice, "reason": a.reason},
        "index": dict(r.index),
        "params": to_plain(r.params),
        "note": r.note or None,
        "look_alikes": r.look_alikes,
        "reproduce": reproduce_info(r),
    }


def render_json(r: TraceResult) -> str:
    return json.dumps(trace_dict(r), indent=2, ensure_ascii=False) + "\n"
