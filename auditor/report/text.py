"""Plain-text report: readable in a terminal and pipeable (no ANSI codes)."""
from __future__ import annotations

import re
import textwrap

from ..models import Match, TraceResult, look_alikes_phrase

COL = 48


# Control characters, terminal escape sequences and bidi overrides in a snippet or a path
# must not reach a terminal: they could rewrite what the report appears to say.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(s: str) -> str:
    return _UNSAFE.sub("\ufffd", s)


def _clip(s: str, width: int) -> str:
    s = clean(s.expandtabs(4).rstrip())
    return s if len(s) <= width else s[: width - 1] + "…"


def side_by_side(m: Match, snippet_text: str, width: int = COL) -> list[str]:
    """Matched snippet lines beside matched source lines, one aligned block after another."""
    snip = snippet_text.splitlines()
    src = m.source_text.splitlines()
    base = m.source_lines[0]
    out = [f"  {'snippet':<{width + 6}} | {_clip(m.source.path, width + 6)}"]
    out.append("  " + "-" * (width + 6) + "-+-" + "-" * (width + 6))
    shown_s = shown_t = 0
    for b in m.blocks:
        a0, a1 = max(b.snippet_lines[0], shown_s + 1), b.snippet_lines[1]
        t0, t1 = max(b.source_lines[0], shown_t + 1), b.source_lines[1]
        if a0 > a1 and t0 > t1:
            continue
        if (shown_s or shown_t) and (a0 > shown_s + 1 or t0 > shown_t + 1):
            out.append(f"  {'…':<{width + 6}} | …")
        left = list(range(a0, a1 + 1))
        right = list(range(t0, t1 + 1))
        for i in range(max(len(left), len(right))):
            ls = f"{left[i]:>4}  {_clip(snip[left[i] - 1], width)}" if i < len(left) and left[i] <= len(snip) else ""
            rs = ""
            if i < len(right) and 0 <= right[i] - base < len(src):
                rs = f"{right[i]:>4}  {_clip(src[right[i] - base], width)}"
            out.append(f"  {ls:<{width + 6}} | {rs}")
        shown_s, shown_t = max(shown_s, a1), max(shown_t, t1)
    return out


def _evidence(m: Match) -> str:
    ev = m.source.license_evidence
    if not ev:
        return "none recorded"
    parts = [f"{e.get('source')}" + (f" ({e.get('detail')})" if e.get("detail") else "") + f": {e.get('expression')}"
             for e in ev[:4]]
    return "; ".join(parts) + (" [sources disagree]" if m.source.license_conflict else "")


def render_text(r: TraceResult) -> str:
    lines = [f"auditor trace: verdict {r.verdict.upper()}", ""]
    s = r.snippet
    lines.append(f"snippet  {s.lines} lines, {s.tokens} tokens, language {s.language or 'C-like (guessed)'}")
    lines.append(f"         {s.swhid}")
    ix = r.index
    lines.append(f"index    {ix.get('id')} ({ix.get('files'):,} files, {ix.get('windows'):,} windows, {ix.get('config')})")
    if r.look_alikes is not None and not r.note:
        lines.append(f"common   {look_alikes_phrase(r.look_alikes)} code shaped like this snippet")
    if r.note:
        lines += ["", f"note: {r.note}"]
    if not r.matches:
        lines += ["", "No match: nothing in the index shares enough code with this snippet."]
    for m in r.matches:
        src = m.source
        lines += ["", f"#{m.rank} {m.verdict.upper()}  score {m.score:.2f}  coverage {m.coverage:.0%}  "
                      f"identity {m.identity:.0%}  longest run {m.longest_run} tokens"]
        rev = f"  (revision {src.revision})" if src.revision else ""
        lines.append(f"   source    {src.repo_name}: {src.path}  lines {m.source_lines[0]}-{m.source_lines[1]}{rev}")
        lines.append(f"   snippet   lines {m.snippet_lines[0]}-{m.snippet_lines[1]}")
        lines.append(f"   SWHID     {src.swhid}")
        lines.append(f"   licence   {src.license or 'unknown'} ({src.license_category})")
        lines += textwrap.wrap(_evidence(m), 96, initial_indent="   evidence  ", subsequent_indent=" " * 13)
        holders = ", ".join(src.holders) or "not recorded"
        lines += textwrap.wrap(holders, 96, initial_indent="   holders   ", subsequent_indent=" " * 13)
        if m.also_in:
            more = ", ".join(f"{c['repo_name']}: {c['path']}" for c in m.also_in[:5])
            extra = f" and {len(m.also_in) - 5} more" if len(m.also_in) > 5 else ""
            lines += textwrap.wrap(more + extra, 96, initial_indent="   also in   ", subsequent_indent=" " * 13)
        if m.rank == 1:
            lines.append("")
            lines += side_by_side(m, s.text)
    a = r.attribution
    lines.append("")
    if a.required:
        state = "present in the snippet" if a.present_in_snippet else "MISSING from the snippet"
        if a.wrong_license:
            state = "WRONG LICENCE named in the snippet"
        lines += textwrap.wrap(f"required, {state}: {a.reason}", 96, initial_indent="attribution  ",
                               subsequent_indent=" " * 13)
    else:
        lines += textwrap.wrap(f"not required: {a.reason}", 96, initial_indent="attribution  ",
                               subsequent_indent=" " * 13)
    if a.license:
        lines.append(f"licence      {a.license}")
    if a.notice:
        lines += ["", "--- notice that should accompany the snippet ---", a.notice, "--- end of notice ---"]
    return clean("\n".join(lines)) + "\n"
