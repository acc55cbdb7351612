"""Language-aware tokenising for code.

Comments and whitespace are dropped, so reformatted copies and copies with comments
stripped give the same tokens. Each token keeps its raw text and a normalised text:
identifiers that are not keywords become ``I``, string literals ``S`` and numbers
``0``, so copies with renamed identifiers or changed literals still match.

Languages fall into a few lexical families (how comments and strings are written);
one compiled regular expression per family does the work in C.
"""
from __future__ import annotations

import functools
import re

import numpy as np

from .minhash import token_hash, token_hashes
from .mode import compiled_in_use

# Kinds of token, stored as small ints.
KEYWORD, IDENT, STRING, NUMBER, PUNCT = 0, 1, 2, 3, 4

# Keywords stay verbatim in the normalised stream, everything else that looks like a name
# becomes ``I``. A word wrongly taken for a keyword breaks rename-robustness wherever it is
# used as a name (``end``, ``type``, ``map``, ``range``), so each family lists only words that
# are reserved in all of its common languages or that are almost never used as names.
_C_KEYWORDS = """
    if else for while do switch case default break continue return goto try catch finally throw throws
    new delete class struct enum union interface extends implements import package public private protected
    static final const void int long short char float double boolean bool byte unsigned signed sizeof
    typedef this super null nullptr true false var let function func fn defer chan instanceof typeof
    abstract synchronized volatile transient native extern inline virtual override template typename
    namespace using operator friend explicit mutable constexpr auto register await async yield export
    """
KEYWORDS_BY_FAMILY = {
    "c": frozenset(_C_KEYWORDS.split()),
    "python": frozenset(__import__("keyword").kwlist),
    "hash": frozenset("""if then else elif fi for while do done case esac function return in def class module
                      begin rescue ensure unless until yield local export end nil true false and or not""".split()),
    "dash": frozenset("""local function end if then else elseif for in do while repeat until return nil true
                      false and or not select from where insert update delete create table into values join
                      on group by order having as null is let where module import data type class instance
                      of case""".split()),
}
# Families whose keywords are case-insensitive (SQL).
_CASELESS = frozenset({"dash"})
# The hashes of the normalised identifier, string and number.
_NORM_HASHES = np.array([token_hash("I"), token_hash("S"), token_hash("0")], dtype=np.uint64)

_NUM = r"(?P<num>0[xX][0-9a-fA-F_]+[uUlL]*|(?:\d[\d_]*\.?\d*|\.\d[\d_]*)(?:[eE][+-]?\d+)?[a-zA-Z]*)"
_ID = r"(?P<id>[^\W\d]\w*|\$\w*)"
_PUNCT = r"(?P<op>[^\s\w])"

_C_LIKE = re.compile(
    r"(?P<com>//[^\n]*|/\*.*?(?:\*/|\Z))"
    r"|(?P<str>\"(?:\\.|[^\"\\\n])*\"?|'(?:\\.|[^'\\\n])*'?|`(?:\\.|[^`\\])*`?)"
    + "|" + _NUM + "|" + _ID + "|" + _PUNCT,
    re.S,
)
_PYTHON = re.compile(
    r"(?P<com>\#[^\n]*)"
    r"|(?P<str>(?:[rRbBuUfF]{1,2})?(?:\"\"\"(?:\\.|[^\\])*?(?:\"\"\"|\Z)|'''(?:\\.|[^\\])*?(?:'''|\Z)"
    r"|\"(?:\\.|[^\"\\\n])*\"?|'(?:\\.|[^'\\\n])*'?))"
    + "|" + _NUM + "|" + _ID + "|" + _PUNCT,
    re.S,
)
_HASH = re.compile(  # shell, Ruby, Perl, R, YAML, Makefiles, CMake, TOML
    r"(?P<com>\#[^\n]*)"
    r"|(?P<str>\"(?:\\.|[^\"\\])*\"?|'[^']*'?)"
    + "|" + _NUM + "|" + _ID + "|" + _PUNCT,
    re.S,
)
_DASH = re.compile(  # SQL, Lua, Haskell, Ada
    r"(?P<com>--[^\n]*|/\*.*?(?:\*/|\Z)|\{-.*?(?:-\}|\Z)|--\[\[.*?(?:\]\]|\Z))"
    r"|(?P<str>\"(?:\\.|[^\"\\\n])*\"?|'(?:''|[^'])*'?)"
    + "|" + _NUM + "|" + _ID + "|" + _PUNCT,
    re.S,
)
FAMILIES = {"c": _C_LIKE, "python": _PYTHON, "hash": _HASH, "dash": _DASH}

_FAMILY_OF_LANGUAGE = {
    "Python": "python", "Cython": "python", "Starlark": "python",
    "Shell": "hash", "Ruby": "hash", "Perl": "hash", "R": "hash", "YAML": "hash", "Makefile": "hash",
    "CMake": "hash", "TOML": "hash", "Dockerfile": "hash", "PowerShell": "hash", "Nim": "hash",
    "Julia": "hash", "Elixir": "hash", "Crystal": "hash", "Tcl": "hash",
    "SQL": "dash", "Lua": "dash", "Haskell": "dash", "Ada": "dash", "Elm": "dash",
}


def family_of(language: str | None) -> str:
    """The lexical family of a language name (The Stack's names); C-like when unknown."""
    return _FAMILY_OF_LANGUAGE.get(language or "", "c")


_PY_SIGNS = re.compile(
    r"^\s*(?:def \w|class \w+.*:\s*$|import \w|from [\w.]+ import|elif |(?:if|for|while|with|try|except|else)\b.*:\s*$"
    r"|(?:assert|nonlocal|global|raise|yield|del|pass)\b[^;{}\n]*$)"
    r"|\bself\.|\"\"\"|\'\'\'|\b(?:None|True|False|elif|lambda)\b|\bis (?:not )?None\b"
    r"|\)[ \t]*->[ \t]*[^;{}\n]+:[ \t]*$|^\s*\w+\s*:\s*(?:str|int|bool|float|bytes|t\.\w+|typing\.\w+|List|Dict|Optional)\b",
    re.M)
_C_SIGNS = re.compile(
    r"[;{}]\s*$|^\s*#\s*(?:include|define|undef|if|ifdef|ifndef|elif|else|endif|pragma|error)\b|^\s*(?:public|private|protected|func|fn|const|let|var) "
    r"|(?:^|;)\s*//|/\*|&&|\|\||\w\s*[!=]==\s*\w|\bthis\.|\bnew\s+[A-Z]\w*\s*[(<\[]|\bfunction\s*[\w$]*\s*\("
    r"|[=(,!]\s*(?:true|false|null|NULL|undefined)\b|\b(?:true|false|null|NULL|undefined)\s*[;),]|\bvoid\b|\w->\w"
    r"|^\s*package\s+[\w.]+\s*;?\s*$|^\s*import\s*\(|\w\s*:=|^\s*\*(?:\s|/|$)|\([ \t]*(?:byte|char|short|int|long|float|double|unsigned|size_t)[ \t]*\**[ \t]*\)[ \t]*[\w(&*'\"]",
    re.M)
_C_PUNCT = re.compile(r"[;{}]")
# Shell, Perl and Ruby (the "hash" family: ``#`` comments, ``$`` variables, ``end``/``fi`` blocks).
_SH_SIGNS = re.compile(
    r"^\s*(?:#!|fi\b|done\b|esac\b|echo |export \w+=|then\b|do\b|elif\b|(?:local|readonly|unset|set) [-\w]"
    r"|end\s*$|require\s+['\"]|puts\b|[A-Z_][A-Z0-9_]*=|[A-Za-z_]\w*=[\"']?\$)"
    r"|^[^;\n]*\s\$\{?\w+[^;\n]*$|\$\(|\[\[? -[a-zA-Z] |2>&1|>\s*/dev/null|\bmy\s+[$@%(]|=~|\bsub\s+\w+\s*\{"
    r"|\b(?:elsif|unless|nil)\b|\bdo\s*\||;\s*(?:then|do)\b|;;|^\s*[\w-]+\s*\(\)\s*\{|\[\s+[\"$!-]", re.M)
# ``#`` comments: Python's and the hash family's alike (not C's ``# define``).
_HASH_COMMENT = re.compile(
    r"^\s*#(?:\s(?!\s*(?:if|ifdef|ifndef|elif|else|endif|define|undef|include|pragma|error)\b)|$)", re.M)


def guess_languages(text: str) -> list[str | None]:
    """The plausible language families of a pasted snippet, likeliest first: "Python",
    "Shell" (the ``#``-comment family: shell, Perl, Ruby, R, ...) or None (C-like: C, C++,
    Java, JavaScript, Go, Rust, ...). Another family is listed after the likeliest when it has
    at least a third of its signs (and at least one).

    Each family's signs are counted and the most frequent wins, C-like on a tie. A wrong
    guess costs recall: the families differ in comments, strings and keywords (``None``,
    ``is``, ``not`` are Python keywords but C-like identifiers), so the snippet's shingles
    would not be the indexed file's.
    """
    sample = text[:20000]
    comments = len(_HASH_COMMENT.findall(sample))
    py = len(_PY_SIGNS.findall(sample)) + comments
    c = len(_C_SIGNS.findall(sample))
    sh = len(_SH_SIGNS.findall(sample)) + comments
    if c == 0 and sh == comments and not _C_PUNCT.search(sample) and sample.strip().count("\n") >= 1:
        py += 1  # lines of code with no ``;``, ``{`` or ``}`` at all: Python's block syntax
    if py > c and py >= sh:
        first = "Python"
    elif sh > c and sh > py:
        first = "Shell"
    else:
        first = None
    counts = {"Python": py, "Shell": sh, None: c}
    # another family is worth a second look when it has at least a third of the winner's signs
    floor = max(1, counts[first] / 3)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return [first] + [lang for lang, n in ranked if lang != first and n >= floor]


def guess_language(text: str) -> str | None:
    """The likeliest language family of a pasted snippet (see :func:`guess_languages`)."""
    return guess_languages(text)[0]


class Tokens:
    """Tokens of one text. ``starts``/``ends`` are character offsets into it; ``raw_hashes`` and
    ``norm_hashes`` are xxh64 of each token as written and as normalised (what shingles are
    built from). The token strings ``raw`` and ``norm`` are made on first use. ``code_points``:
    the text's code points (uint32), kept by the compiled lexer for the compiled alignment."""

    def __init__(self, kinds: np.ndarray, starts: np.ndarray, ends: np.ndarray, raw_hashes: np.ndarray,
                 norm_hashes: np.ndarray, text: str | None = None, *, raw: list[str] | None = None,
                 norm: list[str] | None = None, norm_rule: tuple | None = None, code_points: np.ndarray | None = None):
        self.kinds, self.starts, self.ends = kinds, starts, ends
        self.raw_hashes, self.norm_hashes = raw_hashes, norm_hashes
        self._text, self._raw, self._norm, self._norm_rule = text, raw, norm, norm_rule
        self.code_points = code_points

    def __len__(self) -> int:
        return len(self.kinds)

    @property
    def raw(self) -> list[str]:
        if self._raw is None:
            text = self._text
            self._raw = [text[a:b] for a, b in zip(self.starts.tolist(), self.ends.tolist())]
        return self._raw

    @property
    def norm(self) -> list[str]:
        if self._norm is None:
            caseless, ident, literal, rewritten = self._norm_rule
            out = []
            for t, (kind, tok) in enumerate(zip(self.kinds.tolist(), self.raw)):
                if kind == KEYWORD:
                    out.append(tok.lower() if caseless else tok)
                elif kind == IDENT:
                    out.append(ident or tok)
                elif kind == STRING:
                    out.append(literal and "S" or rewritten.get(t, tok))
                elif kind == NUMBER:
                    out.append(literal and "0" or tok)
                else:
                    out.append(tok)
            self._norm = out
        return self._norm

    def token(self, i: int) -> str:
        """Token ``i`` as written."""
        return self._raw[i] if self._raw is not None else self._text[self.starts[i]:self.ends[i]]

    def lines(self, text: str, offset: int = 0, first_line: int = 1) -> np.ndarray:
        """1-based line number of each token (``offset``: where ``text`` starts in its file)."""
        nl = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == 10
        line_starts = np.flatnonzero(nl) + 1
        return np.searchsorted(line_starts, self.starts - offset, side="right") + first_line


# The same expressions with the whitespace before a token folded into the match: the regex
# engine skips it in one step instead of trying every alternative at every blank, which
# made scanning 1.6x faster. Every character that is not whitespace starts some token
# (``op`` takes whatever the others do not), so ``\s*`` backtracks only over trailing
# whitespace, which the last alternative then takes in one match.
_SCANNERS = {f: re.compile(r"\s*(?:" + rx.pattern + r")|\s+\Z", rx.flags) for f, rx in FAMILIES.items()}
_COM, _STR, _NUM_G, _ID_G, _OP = 1, 2, 3, 4, 5
assert all(rx.groupindex == {"com": 1, "str": 2, "num": 3, "id": 4, "op": 5} for rx in _SCANNERS.values())


# Strings that hold code: Python's f-strings (``f"{name!r}"``), JavaScript's templates
# (`` `${expr}` ``), the double-quoted strings of shell, Perl, PHP, Kotlin, Dart and Groovy
# (``"$name"``, ``"${expr}"``) and Ruby's ``"#{expr}"``. A renamed copy renames the names inside
# them too, so with identifiers normalised those names are normalised as well.
_PY_FIELD = re.compile(r"\{\{|\}\}|\{[^{}]*\}")
_DOLLAR_FIELD = re.compile(r"\$\{[^{}]*\}|\$[^\W\d]\w*|#\{[^{}]*\}")
_NAME = re.compile(r"[^\W\d]\w*")
_DOUBLE_QUOTE_INTERPOLATES = frozenset({"Shell", "Perl", "Ruby", "PHP", "Kotlin", "Dart", "Groovy", "Crystal",
                                        "Elixir", "Tcl", "PowerShell"})


def _py_field(m: re.Match) -> str:
    field = m.group(0)
    if field in ("{{", "}}"):  # escaped braces are text
        return field
    # the expression, not its conversion or format spec (``{value!r:>10}``)
    cut = min((k for k in (field.find("!"), field.find(":")) if k > 0), default=len(field) - 1)
    return "{" + _NAME.sub("I", field[1:cut]) + field[cut:]


def _interpolated(tok: str, family: str, language: str | None) -> str | None:
    """``tok`` with the names in its interpolated fields replaced by ``I``, or None when it
    cannot hold any."""
    if family == "python":
        quote = min((i for i in (tok.find('"'), tok.find("'")) if i >= 0), default=0)
        if "f" not in tok[:quote].lower() or "{" not in tok:
            return None
        return _PY_FIELD.sub(_py_field, tok)
    if tok[:1] == "`" or (tok[:1] == '"' and language in _DOUBLE_QUOTE_INTERPOLATES):
        if "$" in tok or "#{" in tok:
            return _DOLLAR_FIELD.sub(lambda m: m.group(0)[:1] + _NAME.sub("I", m.group(0)[1:]), tok)
    return None


def tokenize(text: str, language: str | None = None, *, normalize_identifiers: bool = True,
             normalize_literals: bool = True, with_positions: bool = True) -> Tokens:
    """The tokens of ``text``, comments and whitespace dropped (module docstring), lexed by the
    compiled lexer (:mod:`auditor.fingerprint.lexer`) or, when it is off (:func:`use_compiled`),
    by :func:`tokenize_reference`, the specification it is tested against (:mod:`.mode`). ``with_positions``
    is accepted for compatibility: positions cost nothing extra."""
    if not compiled_in_use():
        return tokenize_reference(text, language, normalize_identifiers=normalize_identifiers,
                                  normalize_literals=normalize_literals)
    from . import lexer

    family = family_of(language)
    cp, utf8, byte_at = code_points(text)
    kinds, starts, ends, raw, norm, fix = lexer.lex(
        cp, utf8, byte_at, lexer.FAMILY_CODE[family], lexer.char_classes(), _keyword_hashes(family), family in _CASELESS,
        normalize_identifiers, normalize_literals, _NORM_HASHES)
    rewritten: dict[int, str] = {}
    for t in np.flatnonzero(fix).tolist():
        tok = text[starts[t]:ends[t]]
        if fix[t] == lexer.FIX_CASELESS_NAME:
            word = tok.lower()
            if word in KEYWORDS_BY_FAMILY[family]:
                kinds[t] = KEYWORD
                norm[t] = token_hash(word)
        elif (new := _interpolated(tok, family, language)) is not None:
            rewritten[t] = new
            norm[t] = token_hash(new)
    return Tokens(kinds, starts, ends, raw, norm, text, norm_rule=(
        family in _CASELESS, "I" if normalize_identifiers else None, normalize_literals, rewritten), code_points=cp)


def code_points(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the compiled lexer reads: the code points, the UTF-8 bytes (surrogates passed
    through, as :func:`~auditor.fingerprint.minhash.token_hash` encodes them) and the byte
    offset of each code point (one more at the end)."""
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    utf8 = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    if len(utf8) == len(cp):
        return cp, utf8, np.arange(len(cp) + 1, dtype=np.int64)
    width = 1 + (cp >= 0x80).astype(np.int64) + (cp >= 0x800) + (cp >= 0x10000)
    byte_at = np.zeros(len(cp) + 1, dtype=np.int64)
    np.cumsum(width, out=byte_at[1:])
    return cp, utf8, byte_at


@functools.lru_cache(maxsize=None)
def _keyword_hashes(family: str) -> np.ndarray:
    return np.array(sorted(token_hash(k) for k in KEYWORDS_BY_FAMILY[family]), dtype=np.uint64)


def tokenize_reference(text: str, language: str | None = None, *, normalize_identifiers: bool = True,
                       normalize_literals: bool = True, with_positions: bool = True) -> Tokens:
    """The specification of :func:`tokenize`: one regular expression per lexical family,
    scanned by ``re``, with the per-token work in Python (about 8 MB/s against the compiled
    lexer's ~40). The tests hold the compiled lexer to it token for token."""
    family = family_of(language)
    scanner = _SCANNERS[family]
    kw = KEYWORDS_BY_FAMILY[family]
    caseless = family in _CASELESS
    raw: list[str] = []
    norm: list[str] = []
    kinds: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    add_raw, add_norm, add_kind = raw.append, norm.append, kinds.append
    ident = "I" if normalize_identifiers else None
    string = "S" if normalize_literals else None
    number = "0" if normalize_literals else None
    for m in scanner.finditer(text):
        g = m.lastindex
        if g == _COM or g is None:
            continue
        start, end = m.span(g)
        tok = text[start:end]
        if g == _ID_G:
            word = tok.lower() if caseless else tok
            if word in kw:
                add_norm(word)
                add_kind(KEYWORD)
            else:
                add_norm(ident or tok)
                add_kind(IDENT)
        elif g == _OP:
            add_norm(tok)
            add_kind(PUNCT)
        elif g == _STR:
            add_norm(string or (ident and _interpolated(tok, family, language)) or tok)
            add_kind(STRING)
        else:
            add_norm(number or tok)
            add_kind(NUMBER)
        add_raw(tok)
        if with_positions:
            starts.append(start)
            ends.append(end)
    return Tokens(np.asarray(kinds, dtype=np.uint8), np.asarray(starts, dtype=np.int64),
                  np.asarray(ends, dtype=np.int64), token_hashes(raw), token_hashes(norm), text, raw=raw, norm=norm)


def raw_token_set(text: str, language: str | None = None) -> set[str]:
    """The distinct tokens of ``text`` as written: ``set(tokenize(text, language).raw)``,
    without the per-token normalising and positions (re-ranking without the compiled lexer)."""
    return {m[g] for m in _SCANNERS[family_of(language)].finditer(text) if (g := m.lastindex) not in (None, _COM)}


_CODE_PUNCT = frozenset(";{}()[]=<>+-*/&|!:?")


_JAVADOC_LINE = re.compile(r"^[ \t]*\*(?:[ \t].*|/?)$", re.M)
_CLOSED_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def drop_partial_comment(text: str, language: str | None) -> str:
    """Blank comment text that a pasted snippet holds without its comment markers.

    A completion often begins mid-comment (``... in release mode */ Class<?> c = ...``) or
    spans Javadoc lines (`` * <p>May be a reference ...``). In the source that text is inside
    ``/* */`` and dropped; in the snippet it would be read as code and spoil the match. So the
    text before an unopened ``*/`` is blanked, and so is every line that reads as a comment
    continuation (``*`` then text) and does not end like code (``;``, ``{``, ``}``, ``)``).
    Blanked text keeps its newlines, so line numbers do not move.

    Python's counterpart is a paste that begins inside a docstring (see
    :func:`_drop_docstring_tail`).
    """
    family = family_of(language)
    if family == "python":
        return _drop_docstring_tail(text)
    if family != "c":
        return text
    close, open_ = text.find("*/"), text.find("/*")
    if close >= 0 and (open_ < 0 or close < open_):
        text = re.sub(r"[^\n]", " ", text[: close + 2]) + text[close + 2:]

    # A comment the snippet opens and closes itself is left to the tokeniser: blanking its
    # closing `` */`` line would turn all the code after it into comment.
    closed = [m.span() for m in _CLOSED_COMMENT.finditer(text)]

    def blank(m: re.Match) -> str:
        line = m.group(0)
        if any(a <= m.start() < b for a, b in closed):
            return line
        return line if line.rstrip().endswith((";", "{", "}", ")")) else " " * len(line)

    return _JAVADOC_LINE.sub(blank, text)


_TRIPLE_QUOTE = re.compile(r"\"\"\"|'''")
# What stands before a triple quote that opens a string on its line: an assignment, a call or a
# collection, ``return``/``yield``, or a string prefix (``r"""``, ``f'''``).
_OPENS_BEFORE = re.compile(r"(?:[=(\[{,:]\s*|\breturn\s*|\byield\s*|(?:^|\W)[rRbBuUfF]{1,2})$")
_LINE_COMMENT = re.compile(r"\s*#[^\n]*$")


def _drop_docstring_tail(text: str) -> str:
    """Blank the end of a docstring that a pasted snippet begins inside of.

    A completion cut from the middle of a function often starts in its docstring. Read as it
    stands, the docstring's closing quotes would open a string that swallows all the code after
    them. The first triple quote is taken as closing when nothing around it says it opens a
    string (see :func:`_opens_string`) and either the snippet holds an odd number of them or
    the next one opens a string (another function's docstring). Everything up to it is
    blanked, newlines kept."""
    quotes = list(_TRIPLE_QUOTE.finditer(text))
    if not quotes or _opens_string(text, quotes[0].start()):
        return text
    same = [q for q in quotes if q.group(0) == quotes[0].group(0)]
    if len(same) % 2 == 0 and not _opens_string(text, same[1].start()):
        return text  # a string the snippet opens and closes itself, after all
    end = quotes[0].end()
    return re.sub(r"[^\n]", " ", text[:end]) + text[end:]


def _opens_string(text: str, at: int) -> bool:
    """Whether the triple quote at ``at`` opens a string (or stands inside a one-line string),
    by what stands before it: on its line, an odd number of quotes, an ``=``, ``(``, ``,``,
    ``return`` or a string prefix; alone on its line, a previous code line ending in ``:``
    (``def f():``), an open bracket, a comma or ``=``, or no previous code line."""
    line_start = text.rfind("\n", 0, at) + 1
    before = text[line_start:at]
    single = before.replace('"""', "").replace("'''", "")
    if single.count('"') % 2 or single.count("'") % 2:
        return True  # inside a one-line string (``for q in ["'''", ...]``): not a docstring's end
    if "#" in single:
        return True  # in a comment (``# the tail of a ''' string``)
    line_end = text.find("\n", at)
    if text.find(text[at:at + 3], at + 3, len(text) if line_end < 0 else line_end) >= 0:
        return True  # closed on its own line: a one-line string (``"""Symbol for senders."""``)
    if before.strip():
        return bool(_OPENS_BEFORE.search(before))
    # the code lines before it, comments dropped (a shebang and a licence header come before a
    # module docstring; ``def f():  # note`` before a function's)
    previous = [code for line in text[:line_start].splitlines() if (code := _LINE_COMMENT.sub("", line).rstrip())]
    return not previous or previous[-1].endswith((":", "(", "[", "{", ",", "=", "\\"))


def looks_like_prose(toks: Tokens) -> bool:
    """Mostly words with little code punctuation: documentation or licence text, not code."""
    n = len(toks)
    if n < 10:
        return False
    words = int(np.isin(toks.kinds, (IDENT, KEYWORD)).sum())
    punct = sum(1 for t in toks.raw if t in _CODE_PUNCT)
    return words / n >= 0.7 and punct / n < 0.12
