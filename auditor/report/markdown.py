"""Markdown report: for issues, pull requests and mailing lists. Every line is at most 72
columns, so it reads the same as plain text in a mail client and rendered on a forge."""
from __future__ import annotations

import re

from ..models import TraceResult, look_alikes_phrase
from .columns import block, code_rows, command_rows, prose
from .reproduce import SNIPPET_ARG, reproduce_info, thresholds_phrase
from .text import aligned_rows, also_in_phrase, compatibility_phrase, evidence_phrase, measures_phrase


def _esc(s: str) -> str:
    """Escape text shown outside code blocks, so it cannot inject links, images, HTML or
    emphasis (a path or holder may hold a newline: it becomes a blank). ``(``, ``)``, ``>``,
    ``!`` and ``#`` mean nothing mid-line without ``[`` or ``<``, so they are left readable; a
    wrapped row that would start a block with them is escaped by :func:`_rows_safe`."""
    out = []
    for ch in s:
        if ch in "\n\r\t" or ord(ch) < 32 or 0x7f <= ord(ch) <= 0x9f:
            out.append(" ")
        else:
            out.append("\\" + ch if ch in "\\`*_{}[]<|~" else ch)
    return "".join(out)


_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")


def _rows_safe(rows: list[str]) -> list[str]:
    """Continuation rows of a list item must not start a heading, quote, list or rule."""
    return rows[:1] + [_BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), r) for r in rows[1:]]


def _fence(rows: list[str]) -> list[str]:
    text = "\n".join(rows)
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return [ticks, *rows, ticks]


def _item(name: str, value: str, escape: bool = True) -> list[str]:
    return _rows_safe(prose(_esc(value) if escape else value, f"- {name}: ", "  "))


def render_markdown(r: TraceResult) -> str:
    s, ix = r.snippet, r.index
    out = [f"# auditor trace: {r.verdict}", ""]
    out += _item("snippet", f"{s.lines} lines, {s.tokens} tokens, language {s.language or 'C-like (guessed)'}")
    out += _item("SWHID", f"`{s.swhid}`", escape=False)
    out += _item("index", f"{ix.get('id')}, {ix.get('files'):,} files, {ix.get('windows'):,} windows")
    if r.look_alikes is not None and not r.note:
        out += _item("common", f"{look_alikes_phrase(r.look_alikes)} code shaped like this snippet")
    if r.note:
        out += [""] + prose(_esc(r.note), "> ", "> ")
    if not r.matches:
        out += [""] + prose("No match: nothing in the index shares enough code with this snippet.")
    for m in r.matches:
        src = m.source
        out += ["", f"## Match {m.rank} of {len(r.matches)}: {m.verdict}", ""]
        out += _item("source", f"{src.repo_name}: {src.path}, lines {m.source_lines[0]}-{m.source_lines[1]}"
                     + (f", revision {src.revision}" if src.revision else ""))
        out += _item("SWHID", f"`{src.swhid}`", escape=False)
        out += _item("licence", f"{src.license or 'unknown'} ({src.license_category})")
        out += _item("evidence", evidence_phrase(m))
        out += _item("holders", ", ".join(src.holders) or "not recorded")
        if m.also_in:
            out += _item("also in", also_in_phrase(m, 10))
        out += _item("measures", measures_phrase(m))
        if m.why:
            out += _item("verdict because", m.why)
        if m.compatibility:
            out += _item("project licence", compatibility_phrase(m.compatibility))
        out += [""] + _fence(aligned_rows(m, s.text))
    a = r.attribution
    out += ["", "## Attribution", ""]
    if a.required:
        state = "present in" if a.present_in_snippet else "**missing** from"
        if a.wrong_license:
            state = "**a wrong licence is named** in"
        out += _rows_safe(prose(f"Required; {state} the snippet: {_esc(a.reason)}."))
    else:
        out += _rows_safe(prose(f"Not required: {_esc(a.reason)}."))
    if a.license:
        out += _rows_safe(prose(f"Licence of the copied code: {_esc(a.license)}."))
    if a.notice:
        out += ["", "Notice that should accompany the snippet:", ""] + _fence(block(a.notice))
    info = reproduce_info(r)
    rix = info["index"]
    out += ["", "## How to reproduce", ""]
    out += _item("tool", f"auditor {info['tool']['version']}, Python {info['python']}")
    out += _item("index", f"{rix['id']} ({rix['config']}), manifest sha256 {rix['manifest_sha256']}")
    out += _item("index path", str(rix["path"]))
    out += _item("corpus", ", ".join(str(x) for x in info["sources"]) or "not recorded")
    out += _item("thresholds", thresholds_phrase(info))
    out += ["", *_rows_safe(prose(f"With `{SNIPPET_ARG}` a file holding the snippet (`git hash-object {SNIPPET_ARG}` "
                       f"prints `{info['snippet_swhid'].rsplit(':', 1)[1]}`):")), ""]
    cmd = (code_rows(">>> ", info["python_call"], "    ") if info["python_call"]
           else command_rows(info["argv"] + [">", "report.json"]))
    cmd += command_rows(["auditor", "verify", "report.json"])
    out += _fence(cmd)
    return "\n".join(out) + "\n"
