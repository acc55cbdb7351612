"""Helpers shared by the baselines: normalisations, tokenisers, vectorised window hashes, a
packed (hash, file id) table, and LiCoEval's three similarity measures.

Everything here is the baselines' own, independent of ``auditor`` (the system under test).
"""
from __future__ import annotations

from functools import lru_cache
import re

import numpy as np
import xxhash

# ----------------------------------------------------------------------------------------
# Normalisations
# ----------------------------------------------------------------------------------------
_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """All whitespace removed (Copilot's code-referencing match ignores whitespace)."""
    return _WS.sub("", text)


_NEWLINES = re.compile(r"[\r\n]+")
_SPACES = re.compile(r"[^\S\n]+")
_LEADING = re.compile(r"\n\s")


def proc_code(text: str) -> str:
    """Data Portraits' code normalisation (``dataportraits/code_proc.py``): runs of newlines
    become one, runs of other whitespace one space, leading whitespace of a line goes."""
    text = _NEWLINES.sub("\n", text)
    text = _SPACES.sub(" ", text)
    return _LEADING.sub("\n", text).strip()


_WORD = re.compile(r"[^\W_]+")


def word_tokens(text: str) -> list[str]:
    """Lower-cased alphanumeric runs: identifiers split on ``_``, ``.`` and every other
    non-alphanumeric (the BM25 and whole-file MinHash tokeniser)."""
    return _WORD.findall(text.lower())


# A language-agnostic lexical stream for winnowing. Dolos fingerprints tree-sitter node types,
# so names and literal values never reach its k-grams; here identifiers become ``I``, strings
# ``S`` and numbers ``0``, keywords of the benchmark's languages stay, and so does punctuation.
KEYWORDS = frozenset("""
    if else elif for while do switch case default break continue return goto try catch except finally
    throw throws raise new delete class struct enum union interface extends implements import from package
    public private protected static final const void int long short char float double boolean byte
    unsigned signed sizeof typedef this self super null None true false True False var let function def
    lambda yield async await with as pass in is not and or instanceof typeof abstract synchronized volatile
    extern inline assert global nonlocal del export
    """.split())
_TAIL = (r"|(?P<num>0[xX][0-9a-fA-F_]+[uUlL]*|(?:\d[\d_]*\.?\d*|\.\d[\d_]*)(?:[eE][+-]?\d+)?[a-zA-Z]*)"
         r"|(?P<id>[^\W\d]\w*|\$\w*)|(?P<op>[^\s\w])")
_HASH_COMMENTS = re.compile(  # Python, shell: # comments, triple-quoted strings
    r"(?P<com>\#[^\n]*)|(?P<str>(?:[rRbBuUfF]{1,2})?(?:\"\"\"(?:\\.|[^\\])*?(?:\"\"\"|\Z)"
    r"|'''(?:\\.|[^\\])*?(?:'''|\Z)|\"(?:\\.|[^\"\\\n])*\"?|'(?:\\.|[^'\\\n])*'?))" + _TAIL, re.S)
_SLASH_COMMENTS = re.compile(  # C, Java, JavaScript and the rest
    r"(?P<com>//[^\n]*|/\*.*?(?:\*/|\Z))"
    r"|(?P<str>\"(?:\\.|[^\"\\\n])*\"?|'(?:\\.|[^'\\\n])*'?|`(?:\\.|[^`\\])*`?)" + _TAIL, re.S)


def code_tokens(text: str, language: str) -> list[str]:
    """Normalised tokens, comments dropped (``#`` comments for Python, ``//`` and ``/* */`` else)."""
    rx = _HASH_COMMENTS if language == "python" else _SLASH_COMMENTS
    out = []
    for m in rx.finditer(text):
        kind = m.lastgroup
        if kind == "id":
            tok = m.group()
            out.append(tok if tok in KEYWORDS else "I")
        elif kind == "op":
            out.append(m.group())
        elif kind == "str":
            out.append("S")
        elif kind == "num":
            out.append("0")
    return out


@lru_cache(maxsize=1 << 16)
def _token_hash(tok: str) -> int:
    return xxhash.xxh64_intdigest(tok.encode("utf-8", "surrogatepass"))


def token_hashes(tokens: list[str]) -> np.ndarray:
    return np.fromiter(map(_token_hash, tokens), dtype=np.uint64, count=len(tokens))


def char_codes(text: str) -> np.ndarray:
    """Code points + 1 as uint64, the symbols of a character-window hash."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64) + np.uint64(1)


# ----------------------------------------------------------------------------------------
# Rolling window hashes, vectorised
# ----------------------------------------------------------------------------------------
_B = 0x9E3779B97F4A7C15  # odd, so invertible mod 2**64
_B_INV = pow(_B, -1, 1 << 64)
_pow = np.ones(1, dtype=np.uint64)
_ipow = np.ones(1, dtype=np.uint64)


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """B**k and B**-k mod 2**64 for k < n (cached, grown by doubling)."""
    global _pow, _ipow
    if len(_pow) < n:
        m = max(n, 2 * len(_pow), 1 << 16)
        _pow, _ipow = np.ones(m, dtype=np.uint64), np.ones(m, dtype=np.uint64)
        np.cumprod(np.full(m - 1, _B, dtype=np.uint64), out=_pow[1:])
        np.cumprod(np.full(m - 1, _B_INV, dtype=np.uint64), out=_ipow[1:])
    return _pow, _ipow


def _fmix64(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser, in place: spreads the polynomial hash's weak low bits."""
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xFF51AFD7ED558CCD)
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xC4CEB9FE1A85EC53)
    x ^= x >> np.uint64(33)
    return x


def window_hashes(symbols: np.ndarray, w: int) -> np.ndarray:
    """64-bit hash of every window of ``w`` consecutive symbols (uint64), in O(n) numpy.

    The polynomial hash sum_j s[i+j] B**(w-1-j) mod 2**64 equals B**(i+w-1) (S[i+w] - S[i]) with
    S the prefix sums of s[k] B**-k, so one cumsum gives every window (uint64 wraps mod 2**64).
    """
    n = len(symbols)
    if n < w:
        return np.zeros(0, dtype=np.uint64)
    bp, bi = _powers(n + 1)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(symbols * bi[:n], out=prefix[1:])
    return _fmix64(bp[w - 1:n] * (prefix[w:] - prefix[:n - w + 1]))


def winnow(hashes: np.ndarray, window: int) -> np.ndarray:
    """Robust winnowing (Schleimer et al. 2003): the rightmost minimum of every ``window``
    consecutive k-gram hashes, each selected position once. Returns the selected hashes."""
    if len(hashes) == 0:
        return hashes
    if len(hashes) <= window:
        return hashes[[len(hashes) - 1 - int(np.argmin(hashes[::-1]))]]
    view = np.lib.stride_tricks.sliding_window_view(hashes, window)[:, ::-1]
    pos = np.arange(len(view)) + (window - 1 - np.argmin(view, axis=1))
    return hashes[np.unique(pos)]


class PackedTable:
    """A sorted uint64 array of ``(hash high bits) | file_id``: one array, sorted in place, so
    building 35 M windows costs 8 bytes each and a lookup is two binary searches."""

    def __init__(self, n_files: int, capacity: int):
        self.bits = max(1, (max(n_files, 1) - 1).bit_length())
        self.mask = np.uint64((1 << self.bits) - 1)
        self.keys = np.empty(capacity, dtype=np.uint64)
        self.size = 0

    def add(self, file_id: int, hashes: np.ndarray) -> None:
        n = len(hashes)
        end = self.size + n
        if end > len(self.keys):
            grown = np.empty(max(end, 2 * len(self.keys)), dtype=np.uint64)
            grown[:self.size] = self.keys[:self.size]
            self.keys = grown
        dst = self.keys[self.size:end]
        np.bitwise_and(hashes, ~self.mask, out=dst)
        dst |= np.uint64(file_id)
        self.size = end

    def freeze(self) -> None:
        self.keys = self.keys[:self.size]
        self.keys.sort()

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query position, file id) for every stored key whose hash bits equal a query hash's."""
        lo = hashes & ~self.mask
        left = np.searchsorted(self.keys, lo, side="left")
        right = np.searchsorted(self.keys, lo | self.mask, side="right")
        counts = right - left
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        qpos = np.repeat(np.arange(len(hashes)), counts)
        offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(left, counts)
        return qpos, (self.keys[offs] & self.mask).astype(np.int64)

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes


def distinct_pairs(qpos: np.ndarray, fids: np.ndarray, nq: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique (file id, query position) pairs, sorted by file id."""
    code = np.unique(fids * nq + qpos)
    return code // nq, code % nq


# ----------------------------------------------------------------------------------------
# LiCoEval's measures (osslab-pku/llm_compliance, analysis.py)
# ----------------------------------------------------------------------------------------
def lexer_words(text: str, language: str) -> list[str]:
    """LiCoEval's ``split_code``: Pygments token values joined by spaces, split on whitespace.
    LiCoEval lexes Python only (``PythonLexer``); the other languages get their own lexer."""
    return " ".join(v for _, v in _lexer(language).get_tokens(text)).split()


@lru_cache(maxsize=None)
def _lexer(language: str):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return get_lexer_by_name("text")


@lru_cache(maxsize=1)
def _bleu():
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    return sentence_bleu, SmoothingFunction().method4


def bleu(reference: list[str], hypothesis: list[str]) -> float:
    """nltk sentence BLEU-4 with smoothing method 4, as LiCoEval computes it."""
    if not reference or not hypothesis:
        return 0.0
    sentence_bleu, smooth = _bleu()
    return float(sentence_bleu([reference], hypothesis, smoothing_function=smooth))


def five_grams(words: list[str]) -> set[str]:
    return {" ".join(words[i:i + 5]) for i in range(len(words) - 4)}


def jaccard(a: set, b: set) -> float:
    """Exact Jaccard of two 5-gram sets. LiCoEval estimates it with a 256-permutation datasketch
    MinHash; the exact value is what that estimator converges to, without its noise."""
    return len(a & b) / len(a | b) if a and b else 0.0


def edit_similarity(a: list[str], b: list[str]) -> float:
    """1 - token Levenshtein distance / the longer length (rapidfuzz; LiCoEval's own DP gives
    the same number on WizardCoder BPE tokens, which we cannot load offline)."""
    from rapidfuzz.distance import Levenshtein

    if not a and not b:
        return 1.0
    return 1.0 - Levenshtein.normalized_distance(a, b)
