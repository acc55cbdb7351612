"""Clone transforms of the accuracy benchmark (types 2-4), on a unit's tokens.

They keep the code looking compilable: renames touch declared locals and parameters (never
members after a dot, keywords, builtins or called names; other plain lower-case names only to
make up the 3 a case needs), edits change a literal or an operator, insert a one-line statement
at a statement start, or delete a one-line statement; reformatting drops comments and blank
lines, changes the indent width (Python: keeping the block structure) and the spacing around
operators and commas.
"""
from __future__ import annotations

from collections import Counter
import random
import re

from units import INSERTS, MEMBER, NEW_NAMES, RESERVED, SIG_SKIP, SPACED, SWAP, UNARY_OK, Func, Source, Tok

def lines_of(toks: list[Tok]) -> list[list[Tok]]:
    """Logical lines: tokens up to and including each newline token."""
    out, cur = [], []
    for t in toks:
        cur.append(t)
        if t.kind == "nl":
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def render(toks: list[Tok]) -> str:
    return "".join(t.text for t in toks)


def _neighbours(toks: list[Tok], before: Tok | None) -> list[tuple[Tok | None, Tok | None]]:
    """(previous, next) significant token of every token in ``toks``."""
    prevs, last = [], before
    for t in toks:
        prevs.append(last)
        if t.kind not in SIG_SKIP:
            last = t
    nexts, nxt = [], None
    for t in reversed(toks):
        nexts.append(nxt)
        if t.kind not in SIG_SKIP:
            nxt = t
    return list(zip(prevs, reversed(nexts)))


def rename(src: Source, a: int, b: int, f: Func, rng: random.Random) -> tuple[str, dict] | None:
    """Type 2: consistent renaming of the declared locals and parameters occurring in the unit;
    when fewer than 3 occur, other plain lower-case names (never called, never followed by a dot,
    e.g. a field or a global) make up the 3. None when there are not 3."""
    lang = src.language
    toks = src.tokens(a, b)
    fs, fe = src.span(f.start_line, f.end_line)
    ftoks = src.tokens(fs, fe)
    banned, qualified = set(), set()  # called names, labels/object keys, Java types; names before a dot
    for t, (pv, nx) in zip(ftoks, _neighbours(ftoks, None)):
        if t.kind != "name" or nx is None:
            continue
        if lang != "python" and (nx.text == "(" or (nx.text == ":" and lang != "java")
                                 or (lang == "java" and t.text[:1].isupper())):
            banned.add(t.text)
        if nx.text in MEMBER or nx.text == "(" or (pv is not None and pv.text in ("import", "from", "as")):
            qualified.add(t.text)
    occ = []
    for i, (t, (pv, nx)) in enumerate(zip(toks, _neighbours(toks, src.prev_sig(a)))):
        if t.kind != "name" or t.text in banned or t.text in RESERVED or (pv is not None and pv.text in MEMBER):
            continue
        if lang == "python" and nx is not None and nx.text == "=" and t.pd > 0 and not t.in_def:
            continue  # keyword argument of a call
        occ.append(i)
    local = sorted({toks[i].text for i in occ if toks[i].text in f.names})
    freq = Counter(toks[i].text for i in occ if toks[i].text not in f.names and toks[i].text not in qualified
                   and re.fullmatch(r"_*[a-z][A-Za-z0-9_]*", toks[i].text))
    extra = [n for n, _ in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))][:max(0, 3 - len(local))]
    chosen = local + extra
    if len(chosen) < 3:
        return None
    used = {t.text for t in ftoks} | RESERVED
    pool = [n for n in NEW_NAMES if n not in used]
    rng.shuffle(pool)
    mapping = {old: pool[k] if k < len(pool) else f"{old}_{k}" for k, old in enumerate(chosen)}
    for i in occ:
        if toks[i].text in mapping:
            toks[i].text = mapping[toks[i].text]
    return render(toks), {"names": mapping, **({"non_local": extra} if extra else {})}


def _stmt_start(line: list[Tok], prev: Tok | None, language: str) -> bool:
    first = next((t for t in line if t.kind not in SIG_SKIP), None)
    if first is None or first.pd != 0 or first.kind in ("preproc", "deco", "op") or first.text in (
            "else", "elif", "except", "finally", "catch", "case", "default", "}", ")", "]", ".", ":", ","):
        return False
    if language == "python":
        return prev is None or prev.kind != "cont"
    return prev is None or prev.text in (";", "}") or (prev.text == "{" and prev.block)


def edit(src: Source, a: int, b: int, f: Func, rng: random.Random) -> tuple[str, list[str]] | None:
    """Type 3: about 20% of the logical lines edited (literal/operator), inserted or deleted."""
    lang = src.language
    lines = lines_of(src.tokens(a, b))
    prev = src.prev_sig(a)
    info = []
    for ln in lines:
        sig = [t for t in ln if t.kind not in SIG_SKIP]
        info.append((_stmt_start(ln, prev, lang), sig))
        if sig:
            prev = sig[-1]
    code_lines = [i for i, (_, sig) in enumerate(info) if sig]
    want = max(1, round(0.2 * len(code_lines)))

    def names_before(i: int) -> list[str]:  # a name the inserted statement can use: seen above line i
        seen = [t.text for ln in lines[:i] for t in ln if t.kind == "name"]
        return sorted({x for x in seen if x in f.names}) or sorted({x for x in seen if x.islower()})

    first: dict[str, int] = {}  # a line introducing a name used further down is never deleted
    final: dict[str, int] = {}
    for i, ln in enumerate(lines):
        for t in ln:
            if t.kind == "name" and t.text in f.names:
                first.setdefault(t.text, i)
                final[t.text] = i
    defining = {first[n] for n in first if final[n] > first[n]}
    order = code_lines[:]
    rng.shuffle(order)
    ops: dict[int, str] = {}
    inserts: dict[int, str] = {}
    deleted: set[int] = set()
    for i in order:
        if len(ops) >= want:
            break
        start, sig = info[i]
        choices = []
        edits = [t for t in sig if (t.kind == "num" and _digits(t.text)) or (
            t.text in SWAP and t.kind in ("op", "kw", "name", "builtin") and not (lang == "java" and t.text in "<>"))]
        if edits:
            choices.append("edit")
        if start and i > 0 and names_before(i) and i - 1 not in deleted:
            choices.append("insert")
        last = sig[-1]
        if start and 0 < i < len(lines) - 1 and i not in defining \
                and not any(t.text in "{}" and t.kind == "punct" for t in sig):
            if lang == "python":
                above = next((info[j][1][-1] for j in range(i - 1, -1, -1) if info[j][1]), None)
                below = next((lines[j] for j in range(i + 1, len(lines)) if info[j][1]), None)
                ind = _indent(lines[i])
                if last.pd_after == 0 and last.text != ":" and last.kind != "cont" and (
                        above is None or above.text != ":" or (below is not None and _indent(below) == ind)):
                    choices.append("delete")
            elif last.text == ";" and last.pd_after == 0:
                above = next((info[j][1][-1] for j in range(i - 1, -1, -1) if info[j][1]), None)
                below = next((info[j][1][0] for j in range(i + 1, len(lines)) if info[j][1]), None)
                if not (above is not None and above.text == "{" and below is not None and below.text == "}"):
                    choices.append("delete")  # never empties a block
        if not choices:
            continue
        op = rng.choice(choices)
        if op == "edit":
            t = rng.choice(edits)
            if t.kind == "num":
                d = rng.choice(_digits(t.text))
                new = str((int(t.text[d]) + rng.randint(1, 8)) % 10)
                if d == 0 and new == "0" and len(t.text) > 1 and t.text[1:2].isdigit():
                    new = "1"
                t.text = t.text[:d] + new + t.text[d + 1:]
            else:
                t.text = SWAP[t.text]
        elif op == "insert":
            ind = _indent(lines[i])
            inserts[i] = ind + rng.choice(INSERTS[lang]).format(v=rng.choice(names_before(i)), ind=ind) + "\n"
        else:
            deleted.add(i)
        ops[i] = op
    if not ops:
        return None
    out = []
    for i, ln in enumerate(lines):
        out.append(inserts.get(i, ""))
        if i not in deleted:
            out.append(render(ln))
    return "".join(out).rstrip("\r\n"), [f"{ops[i]}@{i}" for i in sorted(ops)]


def _digits(num: str) -> list[int]:
    """Positions of the decimal digits of a number literal that can be changed (not a 0x/0b/0o
    prefix; no octal literals)."""
    if num[:1] == "0" and num[1:2].isdigit():
        return []
    skip = 2 if num[:2].lower() in ("0x", "0b", "0o") else 0
    return [m.start() for m in re.finditer(r"\d", num) if m.start() >= skip]


def _indent(line: list[Tok]) -> str:
    return line[0].text if line and line[0].kind == "ws" else ""


def _width(s: str) -> int:
    return len(s.expandtabs(8))


def reformat(src: Source, a: int, b: int, rng: random.Random) -> tuple[str, dict] | None:
    """Type 4: comments and blank lines removed, indent width and operator/comma spacing changed."""
    lang = src.language
    lines = lines_of(src.tokens(a, b))
    compact = rng.random() < 0.5
    prev_sig = src.prev_sig(a)
    kept = []  # (indent width, is statement line, body tokens)
    for ln in lines:
        body = [t for t in ln if t.kind not in ("nl",)]
        ind = _indent(body)
        if ind:
            body = body[1:]
        stmt = _stmt_start(ln, prev_sig, lang) if lang == "python" else True
        sig = [t for t in body if t.kind not in SIG_SKIP]
        if sig:
            prev_sig = sig[-1]
            kept.append((_width(ind), stmt, body))
    if not kept:
        return None
    widths = sorted({w for w, s, _ in kept if s})
    base = widths[0] if widths else 0
    steps = [y - x for x, y in zip(widths, widths[1:]) if y > x]
    old = min(steps) if steps else 4
    new = rng.choice([w for w in (2, 3, 4, 8) if w != old])
    tab = lang != "python" and rng.random() < 0.2
    out = []
    for w, _, body in kept:  # a linear map of the widths keeps Python's block structure
        level = max(0.0, (w - base) / old)
        out.append(("\t" * round(level) if tab else " " * round(level * new)) + _respace(body, compact, lang))
    text = "\n".join(out)
    return text, {"indent": "tab" if tab else new, "spacing": "compact" if compact else "spaced"}


def _respace(body: list[Tok], compact: bool, lang: str) -> str:
    """One line's tokens (indentation removed) joined with new spacing; comments dropped."""
    sig = [t for t in body if t.kind not in SIG_SKIP]
    unary = {id(t) for k, t in enumerate(sig) if t.text in UNARY_OK and t.kind == "op" and (
        k == 0 or sig[k - 1].kind in ("op", "kw") or sig[k - 1].text in ("(", "[", "{", ",", ":", "?"))}
    parts: list[str] = []
    prev: Tok | None = None
    space = after_cont = False
    for t in body:
        if t.kind in ("ws", "comment"):
            if after_cont and t.kind == "ws":
                parts.append(t.text)  # a Python continuation line keeps its indentation
            space = True
            continue
        new = "" if compact else " "
        if prev is None or after_cont or (t.text == "," and t.kind == "punct"):
            sep = ""
        elif prev.text == "," and prev.kind == "punct":
            sep = new
        elif prev.text in ("if", "for", "while", "switch", "catch", "elif") and t.text == "(":
            sep = new
        elif (t.kind == "op") != (prev.kind == "op") and not (lang == "java" and "<" in t.text + prev.text) \
                and not (lang == "java" and ">" in t.text + prev.text):
            op = t if t.kind == "op" else prev
            sep = new if op.text in SPACED and id(op) not in unary else (" " if space else "")
        else:
            sep = " " if space else ""
        parts.append(sep + t.text)
        after_cont = t.kind == "cont"
        prev, space = t, False
    return "".join(parts).rstrip()
