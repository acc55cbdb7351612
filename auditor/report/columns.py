"""Fixed-width layout for reports that are pasted into mail: every line at most 72 columns.

Widths are display columns (a CJK character takes two, a combining accent none), measured
with ``wcwidth`` as terminals and mail clients do. Code is never reflowed: a line too long
is cut into rows, each continuation marked, so no character is lost or moved between lines.
"""
from __future__ import annotations

import re

from wcwidth import wcwidth

WIDTH = 72

# Control characters, terminal escape sequences and bidi overrides in a snippet or a path
# must not reach a terminal: they could rewrite what the report appears to say.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean(s: str) -> str:
    return _UNSAFE.sub("\ufffd", s)


def width(s: str) -> int:
    return sum(max(0, wcwidth(ch)) for ch in s)


def _take(s: str, room: int) -> int:
    """How many leading characters of ``s`` fit in ``room`` columns (at least one)."""
    used = 0
    for i, ch in enumerate(s):
        w = max(0, wcwidth(ch))
        if used + w > room and i > 0:
            return i
        used += w
    return len(s)


def plural(n: int, noun: str, many: str | None = None) -> str:
    """``1 file``, ``2 files``, ``1,024 files``."""
    return f"{n:,} {noun if n == 1 else many or noun + 's'}"


def cut_token(token: str, room: int) -> tuple[str, str]:
    """(head, tail) of a token wider than ``room`` columns (a path, a URL): cut after its last
    ``/`` that fits, so the head ends the row as a whole path component; only a component
    wider than the row is cut inside, the head then ending in ``\\`` (RFC 8792's mark of a
    folded line) so the cut is never silent."""
    k = _take(token, room)
    slash = token.rfind("/", 0, k) + 1
    if 1 < slash < len(token):
        return token[:slash], token[slash:]
    k = _take(token, max(1, room - 1))
    return token[:k] + "\\", token[k:]


def token_rows(token: str, indent: str = "", limit: int = WIDTH) -> list[str]:
    """A path or id on rows of its own, each starting with ``indent``: whole when it fits, else
    cut by :func:`cut_token` (after a ``/``), the rows to be joined without blanks."""
    token = clean(token).replace("\n", "\ufffd").replace("\t", " ")
    rows = []
    while width(indent + token) > limit:
        head, token = cut_token(token, max(8, limit - width(indent)))
        rows.append(indent + head)
    return rows + [indent + token]


def code_rows(prefix: str, line: str, cont: str | None = None, limit: int = WIDTH) -> list[str]:
    """``prefix`` + one line of code, cut into rows of at most ``limit`` columns; rows after
    the first start with ``cont`` (by default ``prefix``'s width of blanks ending in ``+``).
    A row is cut before a blank in its second half when it has one, the blank carried to the
    next row (``+  starting at``), so words stay whole and no blank is left trailing."""
    line = clean(line.expandtabs(4).rstrip())
    if cont is None:
        cont = " " * max(0, width(prefix) - 2) + "+ "
    rows, lead = [], prefix
    while True:
        room = max(8, limit - width(lead))
        if width(line) <= room:
            rows.append((lead + line).rstrip())
            return rows
        k = _take(line, room)
        blank = line.rfind(" ", 0, k)
        if blank > k // 2 and line[:blank].strip():
            k = blank
        rows.append(lead + line[:k])
        line, lead = line[k:], cont


def prose(text: str, first: str = "", rest: str | None = None, limit: int = WIDTH) -> list[str]:
    """``text`` wrapped at word boundaries: the first row starts with ``first``, the others with
    ``rest`` (blanks as wide as ``first`` by default). A word too wide for the first row but not
    for the others (a path, an id) starts the second row, whole; one wider than any row is cut
    by :func:`cut_token`."""
    rest = " " * width(first) if rest is None else rest
    if width(rest) > limit - 8:  # no room left after the continuation prefix
        rest = ""
    rows: list[str] = []
    lead, cur = first, ""
    for word in clean(" ".join(text.split())).split(" "):
        if not word:
            continue
        while word:
            room = limit - width(lead)
            if not cur and width(word) > room:  # a URL or path longer than a row
                if lead != rest and lead.strip() and width(rest) + width(word) <= limit:
                    rows.append(lead.rstrip())  # whole on a row of its own
                    lead = rest
                    continue
                head, word = cut_token(word, room)
                rows.append(lead + head)
                lead = rest
                continue
            if cur and width(cur) + 1 + width(word) > room:
                rows.append(lead + cur)
                lead, cur = rest, ""
                continue
            cur = f"{cur} {word}" if cur else word
            break
    if cur or not rows:
        rows.append((lead + cur).rstrip())
    return rows


# A paragraph whose lines (all but its last) are at least this wide was wrapped by its
# author at a fixed width (a licence text's 72-80 columns): it is re-flowed, not cut line by line.
_WRAPPED_PROSE = 55


def block(text: str, indent: str = "", limit: int = WIDTH) -> list[str]:
    """A block of text that keeps its lines (a licence notice, meant to be pasted). A paragraph
    whose lines all fit is kept as it is. A paragraph of prose wrapped wider than the row (the
    MIT text's 80 columns) is re-flowed as a whole at word boundaries. In any other paragraph
    (Source, SWHID, Copyright and License lines) every line stays a line of its own: one too
    wide is wrapped at its last blank that fits, its continuation rows indented two columns
    more; a token wider than a row is cut by :func:`cut_token`. Words and their order never
    change."""
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if all(width(indent + line) <= limit for line in paragraph):
            out.extend((indent + line).rstrip() for line in paragraph)
        elif len(paragraph) > 1 and all(width(line.strip()) >= _WRAPPED_PROSE for line in paragraph[:-1]):
            lead = indent + paragraph[0][: len(paragraph[0]) - len(paragraph[0].lstrip())]
            if width(lead) > limit - 20:  # indented almost across the row: the block's own indent
                lead = indent
            out.extend(prose(" ".join(line.strip() for line in paragraph), lead, lead, limit))
        else:
            for line in paragraph:
                out.extend(_line_rows(line, indent, limit))
        paragraph.clear()

    for line in clean(text.expandtabs(4)).splitlines():
        if line.strip():
            paragraph.append(line.rstrip())
            continue
        if paragraph:
            flush()
        out.append("")
    if paragraph:
        flush()
    return out


def _line_rows(line: str, indent: str, limit: int) -> list[str]:
    """One line of a block on rows of at most ``limit`` columns, cut at blanks, continuation
    rows indented two columns more than the line."""
    if width(indent + line) <= limit:
        return [(indent + line).rstrip()]
    out = []
    own = line[: len(line) - len(line.lstrip())]
    cont = indent + own + "  "
    if width(cont) > limit - 20:  # a line indented almost across the row: continue at the block's indent
        cont = indent + "  "
    lead, rest = indent, line
    while rest and width(lead + rest) > limit:
        room = max(8, limit - width(lead))
        k = _take(rest, room)
        blank = rest.rfind(" ", 0, k + 1)
        if blank > (len(own) if lead == indent else 0):
            head, rest = rest[:blank].rstrip(), rest[blank:].lstrip()
        else:
            head, rest = cut_token(rest, room)
        out.append(lead + head)
        lead = cont
    out.append((lead + rest).rstrip())
    return out


def command_rows(argv: list[str], prefix: str = "$ ", limit: int = WIDTH) -> list[str]:
    """A shell command that still runs when pasted from a 72-column mail: broken between
    arguments with `` \\`` continuations, and inside an unquoted word too long for a row with a
    backslash-newline, which the shell removes."""
    import shlex

    rows, cur = [], prefix
    indent = " " * (width(prefix) + 2)
    for arg in argv:
        w = arg if arg in (">", "|") else shlex.quote(arg)
        sep = "" if cur.strip() in ("", prefix.strip()) else " "
        if width(cur + sep + w) + 2 <= limit:
            cur += sep + w
            continue
        if cur.strip() not in ("", prefix.strip()):
            rows.append(cur + " \\")
            cur = indent
        # Too long for a row: cut the argument itself. The shell removes a backslash-newline, and
        # joins pieces quoted one by one ('a/''b' is a/b), so the pasted word is the same word.
        while width(cur + w) + 2 > limit:
            room = limit - width(cur) - 3
            k = _take(arg, max(4, room - (0 if w == arg else 6)))
            k = arg.rfind("/", 0, k) + 1 or k  # a path breaks after a slash
            head = arg[:k]
            rows.append(cur + (head if w == arg else shlex.quote(head)) + "\\")
            cur, arg = "", arg[k:]
            w = arg if w == arg or shlex.quote(arg) == arg else shlex.quote(arg)
        cur += w
    rows.append(cur)
    return rows
