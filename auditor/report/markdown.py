"""Markdown report: for issues, pull requests and mailing lists."""
from __future__ import annotations

from ..models import TraceResult, look_alikes_phrase
from .text import side_by_side


def _esc(s: str) -> str:
    """Escape text shown outside code blocks, so it cannot inject links, images or HTML, nor
    start a block of its own (a path or holder may hold a newline)."""
    out = []
    for ch in s:
        if ch in "\n\r\t" or ord(ch) < 32 or 0x7f <= ord(ch) <= 0x9f:
            out.append(" ")
        else:
            out.append("\\" + ch if ch in "\\`*_{}[]()<>#+!|~" else ch)
    return "".join(out)


def _fence(text: str) -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}\n{text}\n{ticks}"


def render_markdown(r: TraceResult) -> str:
    s, ix = r.snippet, r.index
    out = [f"# auditor trace: {r.verdict}", "",
           f"- snippet: {s.lines} lines, {s.tokens} tokens, language {_esc(s.language or 'C-like (guessed)')}, `{s.swhid}`",
           f"- index: `{ix.get('id')}` ({ix.get('files'):,} files, {ix.get('windows'):,} windows, `{ix.get('config')}`)"]
    if r.look_alikes is not None and not r.note:
        out.append(f"- common: {look_alikes_phrase(r.look_alikes)} code shaped like this snippet")
    if r.note:
        out += ["", f"> {_esc(r.note)}"]
    if not r.matches:
        out += ["", "No match: nothing in the index shares enough code with this snippet."]
    else:
        out += ["", "| # | verdict | score | coverage | source | lines | licence |", "|---|---|---|---|---|---|---|"]
        for m in r.matches:
            out.append(f"| {m.rank} | {m.verdict} | {m.score:.2f} | {m.coverage:.0%} | "
                       f"{_esc(m.source.repo_name)}: {_esc(m.source.path)} | {m.source_lines[0]}-{m.source_lines[1]} | "
                       f"{_esc(m.source.license or 'unknown')} |")
    for m in r.matches[:1]:
        src = m.source
        out += ["", f"## Best match: {_esc(src.path)}", "",
                f"- repository: {_esc(src.repo_name)}" + (f" (revision {_esc(src.revision)})" if src.revision else ""),
                f"- SWHID: `{src.swhid}`",
                f"- licence: {_esc(src.license or 'unknown')} ({src.license_category})"
                + (" — sources disagree" if src.license_conflict else "")]
        for e in src.license_evidence:
            out.append(f"  - evidence: {_esc(str(e.get('source')))} {_esc(str(e.get('detail') or ''))}: "
                       f"{_esc(str(e.get('expression')))}")
        out.append(f"- holders: {_esc(', '.join(src.holders) or 'not recorded')}")
        if m.also_in:
            out.append("- also in: " + _esc(", ".join(f"{c['repo_name']}: {c['path']}" for c in m.also_in[:10])))
        out += ["", _fence("\n".join(side_by_side(m, s.text)))]
    a = r.attribution
    out += ["", "## Attribution", ""]
    if a.required:
        state = "present in" if a.present_in_snippet else "**missing** from"
        if a.wrong_license:
            state = "**a wrong licence is named** in"
        out.append(f"Required; {state} the snippet: {_esc(a.reason)}.")
    else:
        out.append(f"Not required: {_esc(a.reason)}.")
    if a.license:
        out.append(f"Licence of the copied code: {_esc(a.license)}.")
    if a.notice:
        out += ["", "Notice that should accompany the snippet:", "", _fence(a.notice)]
    return "\n".join(out) + "\n"
