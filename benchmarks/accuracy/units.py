"""Code units of the accuracy benchmark: lexing and function extraction.

Every file is lexed once with pygments into :class:`Tok` (absolute offsets, a coarse ``kind``,
bracket depth); functions come from ``ast`` (Python) or a signature + brace match on the token
stream (JavaScript, C, Java), so braces in strings and comments never count. Units are
line-aligned spans of the file, so a verbatim unit is an exact substring of it. The clone
transforms are in :mod:`transforms`, the boilerplate cuts in :mod:`boilerplate_cuts`.
"""
from __future__ import annotations

import ast
import bisect
import builtins
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
