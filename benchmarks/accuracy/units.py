"""Code units of the accuracy benchmark: lexing, function extraction, clone transforms, boilerplate.

Every file is lexed once with pygments into :class:`Tok` (absolute offsets, a coarse ``kind``,
bracket depth); functions come from ``ast`` (Python) or a signature + brace match on the token
stream (JavaScript, C, Java), so braces in strings and comments never count. Units are
line-aligned spans of the file, so a verbatim unit is an exact substring of it.

Transforms (type 2-4) work on the unit's tokens and keep the code looking compilable: renames
touch declared locals and parameters (never members after a dot, keywords, builtins or called
names; other plain lower-case names only to make up the 3 a case needs),
edits change a literal or an operator, insert a one-line statement at a statement start, or
delete a one-line statement; reformatting drops comments and blank lines, changes the indent
width (Python: keeping the block structure) and the spacing around operators and commas.
"""
from __future__ import annotations

import ast
import bisect
import builtins
from collections import Counter
from dataclasses import dataclass, field
import keyword
import random
import re

from pygments.lexers import CLexer, JavaLexer, JavascriptLexer, PythonLexer
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

LEXERS = {"python": PythonLexer, "javascript": JavascriptLexer, "c": CLexer, "java": JavaLexer}
OPS = sorted(""">>>= <<= >>= >>> === !== **= //= ... -> ++ -- << >> <= >= == != && || += -= *= /= %= &= |= ^=
** // => :: ?. ?? = < > + - * / % & | ^ ! ~ ?""".split(), key=len, reverse=True)
SPACED = {"=", "==", "!=", "===", "!==", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "&&", "||", "&", "|", "^",
          "<<", ">>", ">>>", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", ">>>=", "**", "//",
          "=>", "??", "**=", "//="}
UNARY_OK = {"-", "+", "*", "&", "!", "~", "**"}
MEMBER = {".", "->", "::", "?."}
SWAP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "===": "!==", "!==": "===",
        "+": "-", "-": "+", "&&": "||", "||": "&&", "+=": "-=", "-=": "+=", "and": "or", "or": "and",
        "true": "false", "false": "true", "True": "False", "False": "True"}
RESERVED = set(keyword.kwlist) | set(dir(builtins)) | set(
    """auto break case char const continue default do double else enum extern float for goto if inline int long
    register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
    abstract assert boolean byte catch class extends final finally implements import instanceof interface native
    new package private protected public super synchronized this throw throws transient try var let function
    typeof delete in of yield await async arguments undefined null true false self cls NULL
    stdin stdout stderr errno environ optarg optind window document module exports process global globalThis
    NaN Infinity""".split())
NEW_NAMES = """value item elem entry node cur tmp acc res out buf count idx pos off state ctx data info flag opt arg
obj key val src dst ptr num total limit step part chunk head tail left right first last prev found target source
inp output width size index text word line mode level depth result mark slot cell unit span""".split()
INSERTS = {
    "python": ["assert {v} is not None", 'logger.debug("%r", {v})', "if {v} is None:\n{ind}    return None"],
    "c": ["assert({v});", "(void){v};", "if (!{v})\n{ind}    return 0;"],
    "java": ["Objects.requireNonNull({v});", 'LOG.debug("{v}={{}}", {v});', "System.out.println({v});"],
    "javascript": ["console.assert({v} !== undefined);", "if ({v} == null) return;", "debug('{v}', {v});"],
}


@dataclass(eq=False)
class Tok:
    start: int
    text: str
    kind: str  # ws nl comment preproc str num name builtin kw type op punct deco cont other
    pd: int = 0  # ()[] depth inside the current {} block (Python: all brackets) before the token
    pd_after: int = 0
    in_def: bool = False  # Python: inside a def header
    block: bool = False  # '{' opening a statement block

    @property
    def end(self) -> int:
        return self.start + len(self.text)


SIG_SKIP = {"ws", "nl", "comment"}


_KINDS: dict = {}
_OP_RE = re.compile("|".join(map(re.escape, OPS)) + "|.", re.DOTALL)


def _kind(ttype, value: str) -> str:
    kind = _KINDS.get(ttype)
    if kind is None:
        kind = _KINDS[ttype] = _type_kind(ttype)
    if kind == "ws":
        return "ws" if not value.strip() else ("cont" if value.strip() == "\\" else "other")
    return kind


def _type_kind(ttype) -> str:
    if ttype in Comment.Preproc or ttype in Comment.PreprocFile:
        return "preproc"
    if ttype in Comment:
        return "comment"
    if ttype in Text or ttype in Whitespace:
        return "ws"  # refined by the value
    if ttype in String:
        return "str"
    if ttype in Number:
        return "num"
    if ttype in Keyword.Type:
        return "type"
    if ttype in Keyword or ttype in Operator.Word:
        return "kw"
    if ttype in Name.Builtin:
        return "builtin"
    if ttype in Name.Decorator:
        return "deco"
    if ttype in Name:
        return "name"
    if ttype in Operator or ttype in Punctuation:
        return "op"
    return "other"


def lex(text: str, language: str) -> list[Tok]:
    """Tokens of ``text`` covering it exactly; operators merged, newlines split off."""
    raw: list[Tok] = []
    lexer = LEXERS[language](stripnl=False, ensurenl=False, tabsize=0)
    for off, ttype, value in lexer.get_tokens_unprocessed(text):
        kind = _kind(ttype, value)
        if kind in ("ws", "comment", "preproc", "other") and "\n" in value:
            pos = off
            for piece in re.split(r"(\n)", value):
                if piece:
                    raw.append(Tok(pos, piece, "nl" if piece == "\n" else ("ws" if not piece.strip() else kind)))
                    pos += len(piece)
        elif kind == "num" and value[:1] in "+-" and len(value) > 1:
            raw += [Tok(off, value[0], "op"), Tok(off + 1, value[1:], "num")]
        else:
            raw.append(Tok(off, value, kind))
    toks: list[Tok] = []
    i = 0
    while i < len(raw):  # merge adjacent operator characters, then split them greedily into known operators
        t = raw[i]
        if t.kind == "op":
            j, s = i, ""
            while j < len(raw) and raw[j].kind == "op" and raw[j].start == t.start + len(s):
                s += raw[j].text
                j += 1
            pos = t.start
            while s:
                op = _OP_RE.match(s).group(0)
                kind = "op" if op in OPS and op not in (":", "?") else "punct"
                if language == "java" and op in ("[", "]"):
                    kind = "punct"
                toks.append(Tok(pos, op, kind))
                pos, s = pos + len(op), s[len(op):]
            i = j
        else:
            toks.append(t)
            i += 1
    _structure(toks, language)
    return toks


def _structure(toks: list[Tok], language: str) -> None:
    stack: list[int] = []
    depth, in_def, prev = 0, False, None
    for t in toks:
        if t.kind in SIG_SKIP:
            continue
        x = t.text
        if language == "python":
            if t.kind == "kw" and x == "def":
                in_def = True
            t.in_def = in_def
            t.pd = depth
            if x in "([{" and t.kind == "punct":
                depth += 1
            elif x in ")]}" and t.kind == "punct":
                depth = max(0, depth - 1)
            elif x == ":" and depth == 0:
                in_def = False
        else:
            t.pd = depth
            if t.kind == "punct" and x in ("(", "["):
                depth += 1
            elif t.kind == "punct" and x in (")", "]"):
                depth = max(0, depth - 1)
            elif t.kind == "punct" and x == "{":
                stack.append(depth)
                depth = 0
                t.block = prev is not None and (prev.text in (")", "else", "try", "finally", "do", "=>", "->")
                                                 or (language == "java" and prev.kind in ("name", "type")))
            elif t.kind == "punct" and x == "}":
                depth = stack.pop() if stack else 0
                t.pd = depth
        t.pd_after = depth
        prev = t


@dataclass
class Func:
    start_line: int  # 0-based, inclusive
    end_line: int
    name: str
    n_tokens: int
    names: frozenset = field(default_factory=frozenset)  # declared parameters and locals


class Source:
    """One file, lexed, with its line offsets."""

    def __init__(self, text: str, language: str):
        self.text, self.language = text, language
        self.toks = lex(text, language)
        assert "".join(t.text for t in self.toks) == text
        self.starts = [t.start for t in self.toks]
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.sig = [t for t in self.toks if t.kind not in SIG_SKIP]
        self._sig_starts = [t.start for t in self.sig]

    def line(self, off: int) -> int:
        return bisect.bisect_right(self.line_starts, off) - 1

    def span(self, a: int, b: int) -> tuple[int, int]:
        """Character range of lines a..b (inclusive), without the final line break."""
        end = self.line_starts[b + 1] if b + 1 < len(self.line_starts) else len(self.text)
        while end > self.line_starts[a] and self.text[end - 1] in "\r\n":
            end -= 1
        return self.line_starts[a], end

    def tokens(self, a: int, b: int) -> list[Tok]:
        """The tokens of character range [a, b), clipped at its ends (copies)."""
        i = max(0, bisect.bisect_right(self.starts, a) - 1)
        out = []
        while i < len(self.toks) and self.toks[i].start < b:
            t = self.toks[i]
            if t.end > a:
                s, e = max(a, t.start), min(b, t.end)
                out.append(Tok(s, t.text[s - t.start:e - t.start], t.kind, t.pd, t.pd_after, t.in_def, t.block))
            i += 1
        return out

    def clean_start(self, off: int) -> bool:
        """Whether ``off`` does not fall inside a string or comment token that starts earlier."""
        t = self.toks[max(0, bisect.bisect_right(self.starts, off) - 1)]
        return t.start >= off or t.kind not in ("str", "comment", "preproc")

    def prev_sig(self, off: int) -> Tok | None:
        i = bisect.bisect_left(self._sig_starts, off)
        return self.sig[i - 1] if i > 0 else None

    def functions(self) -> list[Func]:
        return self._py_functions() if self.language == "python" else self._brace_functions()

    def _count(self, a: int, b: int) -> int:
        return bisect.bisect_left(self._sig_starts, b) - bisect.bisect_left(self._sig_starts, a)

    def _py_functions(self) -> list[Func]:
        try:
            tree = ast.parse(self.text)
        except (SyntaxError, ValueError):
            return []
        out = []
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno:
                a = node.args
                names = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x}
                glob = set()
                for n in ast.walk(node):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                        names.add(n.id)
                    elif isinstance(n, ast.ExceptHandler) and n.name:
                        names.add(n.name)
                    elif isinstance(n, (ast.Global, ast.Nonlocal)):
                        glob |= set(n.names)
                    elif isinstance(n, ast.arg) and n is not a.vararg:
                        names.add(n.arg)
                s, e = self.span(node.lineno - 1, node.end_lineno - 1)
                out.append(Func(node.lineno - 1, node.end_lineno - 1, node.name, self._count(s, e),
                                frozenset(names - glob - {"self", "cls"} - RESERVED)))
        return sorted(out, key=lambda f: (f.start_line, f.end_line))

    def _brace_functions(self) -> list[Func]:
        S, lang = self.sig, self.language
        match: dict[int, int] = {}
        stacks: dict[str, list[int]] = {"(": [], "[": [], "{": []}
        for i, t in enumerate(S):
            if t.kind == "punct" and t.text in "([{":
                stacks[t.text].append(i)
            elif t.kind == "punct" and t.text in ")]}":
                st = stacks["([{"[")]}".index(t.text)]]
                if st:
                    match[st.pop()] = i
        rev = {v: k for k, v in match.items()}
        out = []
        for p, t in enumerate(S):
            if t.text != "{" or p not in match or p == 0:
                continue
            q, k = match[p], p - 1
            if lang == "java":  # skip a throws list
                j = k
                while j > 0 and (S[j].kind == "name" or S[j].text in (",", ".")):
                    j -= 1
                if S[j].text == "throws":
                    k = j - 1
            if S[k].text == ")" and k in rev:
                open_ = rev[k]
            elif lang == "javascript" and S[k].text == "=>" and k > 0:
                open_ = rev.get(k - 1, k - 1)
            else:
                continue
            name, before = (S[open_ - 1] if open_ > 0 else None), (S[open_ - 2] if open_ > 1 else None)
            if name is None:
                continue
            if lang == "c":
                ok = name.kind == "name" and before is not None and (
                    before.kind in ("type", "name") or before.text == "*")
            elif lang == "java":
                ok = name.kind == "name" and before is not None and before.text not in (".", "new") and (
                    before.kind in ("type", "name", "kw") or before.text in (">", "]")) and before.text not in (
                    "return", "throw", "else", "case")
            elif S[k].text == "=>":
                ok, name = True, Tok(S[open_].start, "<arrow>", "name")
            else:  # function f(...) {, function (...) {, and methods: name(...) {
                ok = name.text == "function" or (name.kind == "name" and before is not None and before.text in (
                    "function", "{", "}", ";", ",", "static", "async", "get", "set"))
            if not ok:
                continue
            if lang in ("c", "java"):  # back to the start of the declaration
                s = open_ - 1
                while s > 0 and S[s - 1].text not in (";", "{", "}") and S[s - 1].kind != "preproc" and open_ - s < 30:
                    s -= 1
                if s > 0 and S[s - 1].text not in (";", "{", "}") and S[s - 1].kind != "preproc":
                    continue
            else:
                s = open_ if S[k].text == "=>" else open_ - 1
                line = self.line(S[s].start)
                while s > 0 and self.line(S[s - 1].start) == line:
                    s -= 1
                pv = S[s - 1] if s > 0 else None
                if pv is not None and not (pv.text in (";", "{", "}", ",") or (
                        pv.kind not in ("op", "punct") and pv.text not in ("return", "new"))):
                    continue
            start_line, end_line = self.line(S[s].start), self.line(S[q].start)
            if s > 0 and self.line(S[s - 1].end - 1) == start_line:
                continue
            nxt = S[q + 1] if q + 1 < len(S) else None
            if nxt is not None and self.line(nxt.start) == end_line:
                if nxt.text not in (";", ",") or (q + 2 < len(S) and self.line(S[q + 2].start) == end_line):
                    continue
            out.append(Func(start_line, end_line, name.text, q - s + 1, frozenset(self._declared(S, open_, q))))
        return out

    def _declared(self, S: list[Tok], open_: int, q: int) -> set[str]:
        names = set()
        body = self._body_start(S, open_)
        for i in range(open_, q):
            t = S[i]
            if t.kind != "name" or S[i - 1].text in MEMBER:
                continue
            pv, nx = S[i - 1], S[i + 1]
            if self.language == "javascript":
                if pv.text in ("var", "let", "const") or (i < q and nx.text in (",", ")", "=") and pv.text in ("(", ",")
                                                         and i < body):
                    names.add(t.text)
            elif (pv.kind in ("type", "name") or pv.text in ("*", ">", "]")) \
                    and nx.text in ("=", ";", ",", "[", ")", ":"):
                names.add(t.text)
        return {n for n in names if n not in RESERVED and not (n.isupper() and len(n) > 1)}

    @staticmethod
    def _body_start(S: list[Tok], open_: int) -> int:
        i = open_
        while i < len(S) and S[i].text != "{":
            i += 1
        return i


# ------------------------------------------------------------------------------------------
# Units
# ------------------------------------------------------------------------------------------
def code_tokens(toks: list[Tok]) -> int:
    return sum(1 for t in toks if t.kind not in SIG_SKIP)


def unit_spans(src: Source, f: Func, rng: random.Random) -> list[tuple[str, int, int]]:
    """(unit, first line, last line) for the function, a 10-line span inside it and a ~150-250
    character span inside it, when such spans exist."""
    out = [("function", f.start_line, f.end_line)]
    n = f.end_line - f.start_line + 1
    if n >= 12:
        for _ in range(10):
            a = rng.randint(f.start_line + 1, f.end_line - 10)
            s, e = src.span(a, a + 9)
            if src.clean_start(s) and code_tokens(src.tokens(s, e)) >= 20 \
                    and sum(bool(x.strip()) for x in src.text[s:e].splitlines()) >= 8:
                out.insert(0, ("10-lines", a, a + 9))
                break
    for _ in range(20):
        a = rng.randint(f.start_line, f.end_line)
        b = a
        while b < f.end_line and len(src.text[slice(*src.span(a, b))].strip()) < 150:
            b += 1
        s, e = src.span(a, b)
        length = len(src.text[s:e].strip())
        if (a, b) != (f.start_line, f.end_line) and 150 <= length <= 250 and src.clean_start(s) \
                and code_tokens(src.tokens(s, e)) >= 15 \
                and src.text[s:e].splitlines()[0].strip() and src.text[s:e].splitlines()[-1].strip():
            out.insert(0, ("150-chars", a, b))
            break
    return out


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


# ------------------------------------------------------------------------------------------
# Boilerplate
# ------------------------------------------------------------------------------------------
_PY_IMPORT = re.compile(r"^(import\s+[\w.]|from\s+[\w.]+\s+import\s)")
_C_INCLUDE = re.compile(r"^\s*#\s*include\s*[<\"]")
_JAVA_IMPORT = re.compile(r"^import\s+(static\s+)?[\w.]+(\.\*)?\s*;")
_JS_REQUIRE = re.compile(r"require\(['\"][^'\"]+['\"]\)[\w.]*\s*[,;]?\s*$|^import\s.*\sfrom\s+['\"][^'\"]+['\"];?\s*$"
                         r"|^import\s+['\"][^'\"]+['\"];?\s*$")
_JS_PROLOGUE = re.compile(r"^\s*(['\"]use strict['\"];?|Object\.defineProperty\(exports, ['\"]__esModule['\"].*|"
                          r"exports(\.\w+ = )+void 0;)\s*$")
_LICENCE = re.compile(r"licen[cs]e|copyright|\(c\)|redistribut|warrant", re.IGNORECASE)
_GETTER = re.compile(r"^[ \t]*public\s+(?:final\s+)?[\w<>\[\], ?]+\s+(?:get|is)(\w+)\(\)\s*\{\s*\n"
                     r"\s*return\s+(?:this\.)?\w+;\s*\n\s*\}[ \t]*$", re.MULTILINE)
_SETTER = re.compile(r"^[ \t]*public\s+(?:final\s+)?(?:void|[\w<>]+)\s+set(\w+)\([^()]*\)\s*\{\s*\n"
                     r"\s*(?:this\.)?\w+\s*=\s*\w+;\s*\n(?:\s*return\s+this;\s*\n)?\s*\}[ \t]*$", re.MULTILINE)


def _runs(lines: list[str], pred, min_len: int = 3, cont=None):
    i = 0
    while i < len(lines):
        if pred(lines[i]):
            j = i
            while j + 1 < len(lines) and (pred(lines[j + 1]) or (cont and cont(lines, j + 1))):
                j += 1
            if j - i + 1 >= min_len:
                yield i, j
            i = j + 1
        else:
            i += 1


def boilerplate(text: str, language: str) -> list[tuple[str, int, int]]:
    """(category, first line, last line) of boilerplate blocks in one file, 0-based inclusive."""
    lines = text.splitlines()
    out: list[tuple[str, int, int]] = []
    top = next((i for i, x in enumerate(lines) if x.strip() and not x.startswith("#!")), None)
    if top is not None:  # a licence header comment at the top of the file
        j = None
        s = lines[top].strip()
        if language == "python" and s.startswith("#"):
            j = top
            while j + 1 < len(lines) and lines[j + 1].strip().startswith("#"):
                j += 1
        elif s.startswith(("/*", "//")):
            if s.startswith("/*"):
                j = next((k for k in range(top, min(len(lines), top + 80)) if "*/" in lines[k]), None)
            else:
                j = top
                while j + 1 < len(lines) and lines[j + 1].strip().startswith("//"):
                    j += 1
        if j is not None and 2 <= j - top <= 60 and _LICENCE.search("\n".join(lines[top:j + 1])):
            out.append(("licence-header", top, j))
    if language == "python":
        def cont(ls, k):
            return ls[k - 1].rstrip().endswith(("(", ",")) and ls[k].startswith((" ", "\t", ")"))
        out += [("imports", i, j) for i, j in _runs(lines, lambda x: bool(_PY_IMPORT.match(x)), cont=cont)]
        for i, x in enumerate(lines):
            if re.match(r"^if\s+__name__\s*==\s*['\"]__main__['\"]\s*:", x):
                j = i
                while j + 1 < len(lines) and (lines[j + 1].startswith((" ", "\t")) or not lines[j + 1].strip()):
                    j += 1
                while j > i and not lines[j].strip():
                    j -= 1
                if 1 <= j - i <= 6:
                    out.append(("main-guard", i, j))
    elif language == "c":
        out += [("includes", i, j) for i, j in _runs(lines, lambda x: bool(_C_INCLUDE.match(x)))]
    elif language == "java":
        out += [("imports", i, j) for i, j in _runs(lines, lambda x: bool(_JAVA_IMPORT.match(x)))]
        getters = {m.group(1): m for m in _GETTER.finditer(text)}
        for m in _SETTER.finditer(text):
            g = getters.get(m.group(1))
            if g is None:
                continue
            a, b = sorted((g, m), key=lambda x: x.start())
            if re.sub(r"/\*.*?\*/|//[^\n]*", "", text[a.end():b.start()], flags=re.DOTALL).strip():
                continue
            first, last = text.count("\n", 0, a.start()), text.count("\n", 0, b.end())
            if last - first <= 25:
                out.append(("accessors", first, last))
    else:
        for i, j in _runs(lines, lambda x: bool(_JS_PROLOGUE.match(x)), min_len=1):
            k = j
            while k + 1 < len(lines) and (_JS_REQUIRE.search(lines[k + 1]) or not lines[k + 1].strip()):
                k += 1
            while k > j and not lines[k].strip():
                k -= 1
            if k - i >= 2 and any(_JS_REQUIRE.search(x) for x in lines[j + 1:k + 1]):
                out.append(("use-strict-require", i, k))
        out += [("imports", i, j) for i, j in _runs(lines, lambda x: bool(_JS_REQUIRE.search(x)))
                if not any(c == "use-strict-require" and a <= i <= b for c, a, b in out)]
    return out
