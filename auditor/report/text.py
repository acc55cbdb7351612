"""Plain-text report: pastes cleanly into a mail (72 columns, no ANSI) and pipes cleanly."""
from __future__ import annotations

import re

from ..models import Match, TraceResult, look_alikes_phrase
from .columns import WIDTH, block, clean, code_rows, command_rows, plural, prose, token_rows, width
from .reproduce import SNIPPET_ARG, reproduce_info, thresholds_phrase


_NAME = re.compile(r"[^\W\d]\w*")
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|;|%|<!--)")


def _shape(line: str) -> str:
    """A line with its names blanked: a renamed copy's line has the source line's shape."""
    return _NAME.sub("I", " ".join(line.split()))


def paired_lines(left: list[str], right: list[str]) -> list[tuple[int | None, int | None]]:
    """Line pairs (index into ``left``, index into ``right``; None for a line with no partner) of
    one aligned block, like a line diff: lines of the same shape (equal once names are blanked,
    so renamed lines pair up) side by side; a comment or blank line that only one side has
    across from nothing; other changed lines paired in order."""
    from difflib import SequenceMatcher

    a, b = [_shape(x) for x in left], [_shape(x) for x in right]
    alone_a = [not x.strip() or bool(_COMMENT.match(x)) for x in left]
    alone_b = [not x.strip() or bool(_COMMENT.match(x)) for x in right]
    pairs: list[tuple[int | None, int | None]] = []
    for tag, i0, i1, j0, j1 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            pairs += [(i0 + k, j0 + k) for k in range(i1 - i0)]
            continue
        i, j = i0, j0  # changed lines pair in order; a blank or comment line stands alone
        while i < i1 or j < j1:
            if i < i1 and (j >= j1 or alone_a[i]):
                pairs.append((i, None))
                i += 1
            elif j < j1 and (i >= i1 or alone_b[j]):
                pairs.append((None, j))
                j += 1
            else:
                pairs.append((i, j))
                i, j = i + 1, j + 1
    return pairs


def block_lines(m: Match, snippet_text: str, numbers: list[int] | None = None):
    """Per aligned block: (block, [(snippet line no or None, snippet line, source line no or None,
    source line)]) with the lines paired by :func:`paired_lines`. ``numbers``: the number to
    show for each snippet line (a patch's added lines show their line in the patched file)."""
    # split on "\n" only: line numbers count "\n", and str.splitlines also breaks at form
    # feeds, vertical tabs and U+2028, which would shift every later line
    snip = snippet_text.split("\n")
    src = m.source_text.split("\n")
    base = m.source_lines[0]
    out = []
    for b in m.blocks:
        (a0, a1), (t0, t1) = b.snippet_lines, b.source_lines
        left = [i for i in range(a0, a1 + 1) if 0 < i <= len(snip)]
        right = [j for j in range(t0, t1 + 1) if 0 <= j - base < len(src)]
        rows = []
        for i, j in paired_lines([snip[i - 1] for i in left], [src[j - base] for j in right]):
            shown = None if i is None else (numbers[left[i] - 1] if numbers else left[i])
            rows.append((shown, snip[left[i] - 1] if i is not None else "",
                         right[j] if j is not None else None, src[right[j] - base] if j is not None else ""))
        out.append((b, rows))
    return out


def aligned_rows(m: Match, snippet_text: str, numbers: list[int] | None = None,
                 label: str = "snippet") -> list[str]:
    """The matched lines as aligned blocks, at most 72 columns each, read like a line diff:
    ``=`` a line the snippet and the source share (whitespace aside), ``<`` the snippet's
    version of a changed line or a line only it has, ``>`` the source's. ``label`` names the
    traced text ("patch" in a review, whose added lines are the snippet)."""
    digits = len(str(max(max(numbers or [0]), m.snippet_lines[1], m.source_lines[1])))
    blank = " " * digits
    out: list[str] = prose(f"= line in both; < the {label}'s line; > the source's line", "  ")
    for k, (b, rows) in enumerate(block_lines(m, snippet_text, numbers), 1):
        (a0, a1), (t0, t1) = _shown(b.snippet_lines, numbers), b.source_lines
        tokens = (plural(b.tokens, "identical token") if b.exact
                  else plural(b.tokens, "same token") + " after normalising names and literals")
        out += prose(f"[{k}] {label} {a0}-{a1}, source {t0}-{t1}: {tokens}", "  ", "      ")
        for i, left, j, right in rows:
            if i is not None and j is not None and left.split() == right.split():
                out += code_rows(f"  {i:>{digits}} {j:>{digits}} = | ", right)
                continue
            if i is not None:
                out += code_rows(f"  {i:>{digits}} {blank} < | ", left)
            if j is not None:
                out += code_rows(f"  {blank} {j:>{digits}} > | ", right)
    return out


def evidence_phrase(m: Match) -> str:
    ev = m.source.license_evidence
    if not ev:
        return "none recorded"
    parts = [f"{e.get('source')}" + (f" ({e.get('detail')})" if e.get("detail") else "") + f": {e.get('expression')}"
             for e in ev]
    return "; ".join(parts) + (" [sources disagree]" if m.source.license_conflict else "")


def measures_phrase(m: Match) -> str:
    return (f"score {m.score:.2f}, coverage {m.coverage:.0%}, names kept {m.identity:.0%}, "
            f"identical tokens {m.exact_share:.0%}, longest run {plural(m.longest_run, 'token')}")


def also_in_phrase(m: Match, shown: int) -> str:
    more = ", ".join(f"{c['repo_name']}: {c['path']}" for c in m.also_in[:shown])
    return more + (f" and {len(m.also_in) - shown} more" if len(m.also_in) > shown else "")


def compatibility_phrase(c: dict, loud: bool = False) -> str:
    verdict = c["verdict"].upper() if loud else c["verdict"]
    return f"{verdict} with {c['project_license']}: {c['reason']}"


def _shown(span: tuple[int, int], numbers: list[int] | None) -> tuple[int, int]:
    """A snippet line span as the lines shown (a patch's added lines: their lines in the patched file)."""
    a, b = span
    return (numbers[a - 1], numbers[min(b, len(numbers)) - 1]) if numbers else (a, b)


def _field(name: str, value: str) -> list[str]:
    return prose(value, f"  {name:<10} ", " " * 13)


def _paths_field(name: str, paths: list[str]) -> list[str]:
    """Paths to copy: after ``name`` when they fit there, else each on rows of its own, a path
    too long for a row cut only after a ``/`` (said so, since the rows must be joined)."""
    paths = [clean(p) for p in paths]
    row = f"  {name:<10} {', '.join(paths)}"
    if width(row) <= WIDTH and not any(any(ch.isspace() for ch in p) for p in paths):
        return [row]
    rows = [token_rows(p, "    ") for p in paths]
    note = "split after a '/': join the rows" if any(len(r) > 1 for r in rows) else ""
    return [f"  {name:<10} {note}".rstrip()] + [row for r in rows for row in r]


def match_rows(m: Match, total: int, snippet_text: str, numbers: list[int] | None = None,
               snippet_label: str = "snippet") -> list[str]:
    src = m.source
    out = [f"Match {m.rank} of {total}: {m.verdict.upper()}"]
    out += _field("source", f"{src.repo_name}: {src.path}")
    where = f"lines {m.source_lines[0]}-{m.source_lines[1]}" + (f", revision {src.revision}" if src.revision else "")
    out += _field("", where)
    out += _field("SWHID", src.swhid)
    out += _field("licence", f"{src.license or 'unknown'} ({src.license_category})")
    out += _field("evidence", evidence_phrase(m))
    out += _field("holders", ", ".join(src.holders) or "not recorded")
    if m.also_in:
        out += _field("also in", also_in_phrase(m, 5))
    first, last = _shown(m.snippet_lines, numbers)
    out += _field(snippet_label, f"lines {first}-{last}")
    out += _field("measures", measures_phrase(m))
    if m.why:
        out += _field("because", m.why)
    if m.compatibility:
        out += _field("project", compatibility_phrase(m.compatibility, loud=True))
    out += ["", "  Aligned blocks:"] + aligned_rows(m, snippet_text, numbers, snippet_label)
    return out


def attribution_rows(r: TraceResult, label: str = "snippet") -> list[str]:
    """The attribution section; ``label`` names the traced text ("patch" in a review)."""
    a = r.attribution
    if a.required:
        state = f"present in the {label}" if a.present_in_snippet else f"MISSING from the {label}"
        if a.wrong_license:
            state = f"WRONG LICENCE named in the {label}"
        out = prose(f"Required, {state}: {a.reason}", "  ")
    else:
        out = prose(f"Not required: {a.reason}", "  ")
    if a.license:
        out += prose(f"Licence of the copied code: {a.license}", "  ")
    if a.notice:
        out += ["", f"  Notice that should accompany the {label}:", "  " + "-" * 40]
        out += block(a.notice, "  ")
        out += ["  " + "-" * 40]
    return out


def reproduce_rows(r: TraceResult) -> list[str]:
    info = reproduce_info(r)
    ix = info["index"]
    out = _field("tool", f"auditor {info['tool']['version']}, Python {info['python']}")
    out += _field("index", f"{ix['id']} ({ix['config']})")
    out += _field("manifest", "sha256:")
    out += [f"    {ix['manifest_sha256']}"]
    out += _paths_field("path", [str(ix["path"])])
    out += _paths_field("corpus", [str(s) for s in info["sources"]]) if info["sources"] else \
        _field("corpus", "not recorded")
    p = info["params"]
    out += _field("params", f"top_k {p['top_k']}, language "
                            + (p["language"] or f"guessed ({p['language_traced'] or 'C-like'})")
                  + (f", project licence {p['project_license']}" if p.get("project_license") else ""))
    out += _field("thresholds", thresholds_phrase(info))
    out += ["", f"  {SNIPPET_ARG} is a file holding the snippet; 'git hash-object {SNIPPET_ARG}'",
            f"  prints {info['snippet_swhid'].rsplit(':', 1)[1]}. Then:"]
    if info["python_call"]:
        out += code_rows("    >>> ", info["python_call"], "        ")
    else:
        out += command_rows(info["argv"] + [">", "report.json"], "    $ ")
    out += command_rows(["auditor", "verify", "report.json"], "    $ ")
    return out


def render_text(r: TraceResult) -> str:
    s, ix = r.snippet, r.index
    lines = ["auditor trace report", "=" * 20, "", f"Verdict: {r.verdict.upper()}", ""]
    lines += prose(f"{plural(s.lines, 'line')}, {plural(s.tokens, 'token')}, "
                   f"language {s.language or 'C-like (guessed)'}", "Snippet   ")
    lines += prose(s.swhid, " " * 10)
    lines += prose(f"{ix.get('id')}, {plural(ix.get('files'), 'file')}, {plural(ix.get('windows'), 'window')}",
                   "Index     ")
    if r.look_alikes is not None and not r.note:
        lines += prose(f"{look_alikes_phrase(r.look_alikes)} code shaped like this snippet", "Common    ")
    if r.note:
        lines += [""] + prose(r.note, "Note: ", "      ")
    if not r.matches:
        lines += [""] + prose("No match: nothing in the index shares enough code with this snippet.")
    for m in r.matches:
        lines += [""] + match_rows(m, len(r.matches), s.text)
    lines += ["", "Attribution"] + attribution_rows(r)
    lines += ["", "How to reproduce"] + reproduce_rows(r)
    return "\n".join(clean(x) for x in lines) + "\n"
