"""Renderers for ``auditor review``: text (72 columns, for the terminal and a reply on the
list), Markdown, and JSON (schema ``auditor.review/1``)."""
from __future__ import annotations

import json

from .. import __version__
from ..review import Review
from .columns import WIDTH, clean, prose, width
from .json_report import trace_dict
from .text import attribution_rows, match_rows

SCHEMA = "auditor.review/1"


def _headline(r: Review, with_project: bool = True) -> str:
    n, bad = len(r.hunks), len(r.findings)
    project = f" (project licence {r.project_license})" if r.project_license and with_project else ""
    hunks = f"{n} hunk{'s' if n != 1 else ''}"
    if not n:
        return f"auditor review: nothing to trace{project}"
    if bad:
        return f"auditor review: {bad} of {hunks} need{'s' if bad == 1 else ''} attention{project}"
    return f"auditor review: clean, {hunks} traced{project}"


def _summary_of(h) -> str:
    res = h.result
    if res.note:
        return f"not traced: {res.note}"
    if not res.matches:
        return "no match: the added code shares nothing with the index"
    m = res.matches[0]
    return f"{m.verdict} {m.source.repo_name}: {m.source.path}, {m.source.license or 'licence unknown'}"


def render_review_text(r: Review) -> str:
    lines = prose(_headline(r), "", "  ") + [""]
    lines += prose(f"{r.files} file{'s' if r.files != 1 else ''} in the patch, {len(r.hunks)} hunk"
                   f"{'s' if len(r.hunks) != 1 else ''} with added code traced; exit status {r.exit_status}")
    for s in r.skipped:
        lines += prose(s, "skipped: ", "         ")
    for h in r.hunks:
        lines += ["", "-" * 72]
        lines += prose(f"{h.path} {h.header}")
        if not h.attention:
            lines += prose(_summary_of(h), "  clean: ", "         ")
            continue
        lines += ["  NEEDS ATTENTION"]
        for why in h.attention:
            lines += prose(why, "  - ", "    ")
        text = h.result.snippet.text
        for m in h.result.matches:
            lines += [""] + match_rows(m, len(h.result.matches), text, h.lines, "patch")
        lines += ["", "Attribution"] + attribution_rows(h.result, "patch")
    return "\n".join(clean(x) for x in lines) + "\n"


def render_review_markdown(r: Review) -> str:
    from .markdown import _esc, _fence, _inline, _rows_safe, code_block

    out = [f"# {_headline(r, with_project=False)}", ""]  # a heading cannot wrap: the licence below it
    if r.project_license:
        out += _rows_safe(prose(f"Project licence: {_esc(r.project_license)}.")) + [""]
    out += prose(f"{r.files} file{'s' if r.files != 1 else ''} in the patch, {len(r.hunks)} hunk"
                 f"{'s' if len(r.hunks) != 1 else ''} with added code traced.")
    for s in r.skipped:
        out += _rows_safe(prose(_esc(s), "- skipped: ", "  "))
    for h in r.hunks:
        state = "needs attention" if h.attention else "clean"
        path = clean(h.path)
        if _inline(path) and width(f"## `{path}`: {state}") <= WIDTH:
            out += ["", f"## `{path}`: {state}", ""]
        else:  # a path too long for a heading: below it, whole, to copy
            out += ["", f"## {state[0].upper()}{state[1:]}:", ""] + code_block(path) + [""]
        out += _fence([h.header])
        if not h.attention:
            out += _rows_safe(prose(_esc(_summary_of(h))))
            continue
        for why in h.attention:
            out += _rows_safe(prose(_esc(why), "- ", "  "))
        text = h.result.snippet.text
        for m in h.result.matches:
            out += [""] + _fence(match_rows(m, len(h.result.matches), text, h.lines, "patch"))
        a = h.result.attribution
        if a.notice:
            out += ["", "Attribution:", ""] + _fence(attribution_rows(h.result, "patch"))
    return "\n".join(out) + "\n"


def review_dict(r: Review) -> dict:
    hunks = []
    for h in r.hunks:
        d = trace_dict(h.result)
        for m in d["matches"]:
            m["patch_lines"] = list(h.new_lines(tuple(m["snippet_lines"])))
        hunks.append({"path": h.path, "header": h.header, "added_lines": h.lines, "attention": h.attention,
                      "trace": d})
    return {"schema": SCHEMA, "tool": {"name": "auditor", "version": __version__},
            "project_license": r.project_license, "files": r.files, "skipped": r.skipped,
            "findings": len(r.findings), "exit_status": r.exit_status, "hunks": hunks}


def render_review_json(r: Review) -> str:
    return json.dumps(review_dict(r), indent=2, ensure_ascii=False) + "\n"


REVIEW_RENDERERS = {"text": render_review_text, "markdown": render_review_markdown, "json": render_review_json}
