"""Markdown report: for issues, pull requests and mailing lists. Every line is at most 72
columns, so it reads the same as plain text in a mail client and rendered on a forge."""
from __future__ import annotations

import re

from ..models import TraceResult, look_alikes_phrase
from .columns import WIDTH, block, clean, code_rows, command_rows, plural, prose, token_rows, width
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


class Code(str):
    """A value to copy (a path, an id, a hash): shown as a code span, never escaped."""


def _inline(value: str) -> bool:
    """Whether ``value`` can be a one-backtick code span on a row: no blank (a span wrapped
    at one would copy as a different path), no backtick, not wider than a list row."""
    return bool(value) and not any(ch.isspace() or ch == "`" for ch in value) and width(value) <= WIDTH - 8


def code_block(value: str, indent: str = "") -> list[str]:
    """A value too long or too odd for a code span, in a fence of its own: cut after a ``/``
    when it is wider than a row (:func:`token_rows`)."""
    return [indent + row for row in _fence(token_rows(value, "", WIDTH - len(indent)))]


_SPLIT = " (split after a `/`: join the rows)"


def _item(name: str, *parts: str, escape: bool = True) -> list[str]:
    """A list item ``- name: parts``. A :class:`Code` part is a code span (copied as it is); one
    that cannot be a span on a row goes below the item in a fence, the item saying so."""
    text, below = [], []
    for p in parts:
        if isinstance(p, Code):
            p = clean(p)
            if _inline(p):
                text.append(f"`{p}`")
            else:
                text.append("(below)" if len(parts) > 1 else "")
                below.append(p)
        else:
            text.append(_esc(p) if escape else p)
    blocks = [code_block(p, "  ") for p in below]
    joined = "".join(text).strip() + (_SPLIT if any(len(b) > 3 for b in blocks) else "")
    rows = _rows_safe(prose(joined, f"- {name}: ", "  ")) if joined.strip() else [f"- {name}:"]
    return rows + [row for b in blocks for row in b]


def render_markdown(r: TraceResult) -> str:
    s, ix = r.snippet, r.index
    out = [f"# auditor trace: {r.verdict}", ""]
    out += _item("snippet", f"{plural(s.lines, 'line')}, {plural(s.tokens, 'token')}, "
                            f"language {s.language or 'C-like (guessed)'}")
    out += _item("SWHID", Code(s.swhid))
    out += _item("index", Code(ix.get("id")), f", {plural(ix.get('files'), 'file')}, "
                                               f"{plural(ix.get('windows'), 'window')}")
    if r.look_alikes is not None and not r.note:
        out += _item("common", f"{look_alikes_phrase(r.look_alikes)} code shaped like this snippet")
    if r.note:
        out += [""] + prose(_esc(r.note), "> ", "> ")
    if not r.matches:
        out += [""] + prose("No match: nothing in the index shares enough code with this snippet.")
    for m in r.matches:
        src = m.source
        out += ["", f"## Match {m.rank} of {len(r.matches)}: {m.verdict}", ""]
        out += _item("source", Code(src.repo_name), ": ", Code(src.path),
                     f", lines {m.source_lines[0]}-{m.source_lines[1]}",
                     *((", revision ", Code(src.revision)) if src.revision else ()))
        out += _item("SWHID", Code(src.swhid))
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
    out += _item("index", Code(rix["id"]), " (", Code(rix["config"]), "), manifest sha256 ",
                 Code(rix["manifest_sha256"]))
    out += _item("index path", Code(str(rix["path"])))
    sources = [Code(str(x)) for x in info["sources"]]
    out += _item("corpus", *[p for i, c in enumerate(sources) for p in ((", ", c) if i else (c,))]) if sources \
        else _item("corpus", "not recorded")
    out += _item("thresholds", thresholds_phrase(info))
    out += ["", *_rows_safe(prose(f"With `{SNIPPET_ARG}` a file holding the snippet (`git hash-object {SNIPPET_ARG}` "
                       f"prints `{info['snippet_swhid'].rsplit(':', 1)[1]}`):")), ""]
    cmd = (code_rows(">>> ", info["python_call"], "    ") if info["python_call"]
           else command_rows(info["argv"] + [">", "report.json"]))
    cmd += command_rows(["auditor", "verify", "report.json"])
    out += _fence(cmd)
    return "\n".join(out) + "\n"
