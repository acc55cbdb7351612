"""The compiled lexer: :func:`auditor.fingerprint.tokens.tokenize_reference`'s tokens, in numba.

The reference tokeniser is one regular expression per lexical family, which CPython's ``re``
scans in C at about 25 MB/s; the per-token Python work around it (a match object, a slice, a
normalisation and a hash per token) cost twice that again, and fingerprinting ran at 5 MB/s.
This kernel walks the text's code points once and returns, per token, its kind, its character
span and two 64-bit hashes: xxh64 of its text as written and of its normalised text (the hash
shingles are built from), with no Python object per token. Token strings are made only when a
caller asks for them (:class:`~auditor.fingerprint.tokens.Tokens` makes them lazily).

The kernel follows the regular expressions' semantics exactly, alternative by alternative
(comments, then strings, numbers, names, punctuation; ``\\w``, ``\\d`` and ``\\s`` as ``re``
reads them for ``str`` patterns). ``tests/test_lexer.py`` checks token for token that both give
the same tokens, on real code of every family and on generated text.

Two things stay in Python, for the few tokens that need them: the keyword test of a name with
non-ASCII letters in a case-insensitive family (Unicode lower-casing), and strings that may
interpolate names (f-strings, templates), which :func:`~auditor.fingerprint.tokens._interpolated`
rewrites.

numba compiles the kernels on first use and caches the machine code (``cache=True``): the
first process on a machine pays a few seconds, later ones load it.
"""
from __future__ import annotations

import functools
import re

import numba
import numpy as np

from .tokens import IDENT, KEYWORD, NUMBER, PUNCT, STRING

# Character classes, per code point, as ``re`` reads them in str patterns.
WORD, DIGIT, SPACE = 1, 2, 4
# Families, as the kernel knows them.
FAMILY_CODE = {"c": 0, "python": 1, "hash": 2, "dash": 3}
# What the kernel leaves to Python for a token (0: nothing).
FIX_CASELESS_NAME, FIX_INTERPOLATION = 1, 2

_P1 = np.uint64(0x9E3779B185EBCA87)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)
_P3 = np.uint64(0x165667B19E3779F9)
_P4 = np.uint64(0x85EBCA77C2B2AE63)
_P5 = np.uint64(0x27D4EB2F165667C5)


@functools.lru_cache(maxsize=1)
def char_classes() -> np.ndarray:
    """uint8 per code point (0..0x10FFFF): WORD | DIGIT | SPACE bits, read from ``re`` itself
    (runs of each class over a string of every code point), so they agree with the reference."""
    every = np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    table = np.zeros(0x110000, dtype=np.uint8)
    for bit, pattern in ((WORD, r"\w+"), (DIGIT, r"\d+"), (SPACE, r"\s+")):
        for m in re.finditer(pattern, every):
            table[m.start():m.end()] |= bit
    table.flags.writeable = False
    return table


@numba.njit(cache=True, inline="always")
def _rotl(x, r):
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


@numba.njit(cache=True, inline="always")
def _round(acc, lane):
    acc = acc + lane * _P2
    return _rotl(acc, 31) * _P1


@numba.njit(cache=True, inline="always")
def _read_le(b, p, width):
    """The ``width`` bytes at ``b[p]`` as a little-endian unsigned integer."""
    v = np.uint64(0)
    for i in range(width - 1, -1, -1):
        v = (v << np.uint64(8)) | np.uint64(b[p + i])
    return v


@numba.njit(cache=True)
def xxh64(b, start, end):
    """xxh64 (seed 0) of ``b[start:end]``: ``xxhash.xxh64_intdigest``, checked by the tests."""
    length = end - start
    p = start
    if length >= 32:
        v1 = _P1 + _P2
        v2 = _P2
        v3 = np.uint64(0)
        v4 = np.uint64(0) - _P1
        limit = end - 32
        while p <= limit:
            v1 = _round(v1, _read_le(b, p, 8))
            v2 = _round(v2, _read_le(b, p + 8, 8))
            v3 = _round(v3, _read_le(b, p + 16, 8))
            v4 = _round(v4, _read_le(b, p + 24, 8))
            p += 32
        h = _rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)
        for v in (v1, v2, v3, v4):
            h = (h ^ _round(np.uint64(0), v)) * _P1 + _P4
    else:
        h = _P5
    h = h + np.uint64(length)
    while p + 8 <= end:
        h = h ^ _round(np.uint64(0), _read_le(b, p, 8))
        h = _rotl(h, 27) * _P1 + _P4
        p += 8
    if p + 4 <= end:
        h = h ^ (_read_le(b, p, 4) * _P1)
        h = _rotl(h, 23) * _P2 + _P3
        p += 4
    while p < end:
        h = h ^ (np.uint64(b[p]) * _P5)
        h = _rotl(h, 11) * _P1
        p += 1
    h = h ^ (h >> np.uint64(33))
    h = h * _P2
    h = h ^ (h >> np.uint64(29))
    h = h * _P3
    return h ^ (h >> np.uint64(32))


@numba.njit(cache=True, inline="always")
def _skip_to(cp, k, n, a, b):
    """Index just past the first ``a b`` pair at or after ``k``, or ``n``."""
    while k + 1 < n:
        if cp[k] == a and cp[k + 1] == b:
            return k + 2
        k += 1
    return n


@numba.njit(cache=True, inline="always")
def _line_end(cp, k, n):
    while k < n and cp[k] != 10:
        k += 1
    return k


@numba.njit(cache=True, inline="always")
def _quoted(cp, k, n, quote, escapes, stop_at_newline):
    """End of a string opened just before ``k``: ``q(?:\\\\.|[^q\\\\\\n])*q?`` and its variants."""
    while k < n:
        c = cp[k]
        if escapes and c == 92:  # backslash
            if k + 1 < n:
                k += 2
                continue
            break
        if c == quote or (stop_at_newline and c == 10):
            break
        k += 1
    if k < n and cp[k] == quote:
        k += 1
    return k


@numba.njit(cache=True, inline="always")
def _is_prefix(c):  # [rRbBuUfF]
    return c == 114 or c == 82 or c == 98 or c == 66 or c == 117 or c == 85 or c == 102 or c == 70


@numba.njit(cache=True, inline="always")
def _is_hex(c):  # [0-9a-fA-F_]
    return (48 <= c <= 57) or (97 <= c <= 102) or (65 <= c <= 70) or c == 95


@numba.njit(cache=True, inline="always")
def _is_alpha(c):  # [a-zA-Z]
    return (97 <= c <= 122) or (65 <= c <= 90)


@numba.njit(cache=True)
def _number_end(cp, j, n, cls):
    """End of ``NUM`` at ``j``, or -1."""
    c = cp[j]
    if c == 48 and j + 2 < n and (cp[j + 1] == 120 or cp[j + 1] == 88) and _is_hex(cp[j + 2]):
        k = j + 3
        while k < n and _is_hex(cp[k]):
            k += 1
        while k < n and (cp[k] == 117 or cp[k] == 85 or cp[k] == 108 or cp[k] == 76):  # [uUlL]
            k += 1
        return k
    if cls[c] & DIGIT:
        k = j + 1
        while k < n and (cls[cp[k]] & DIGIT or cp[k] == 95):
            k += 1
        if k < n and cp[k] == 46:
            k += 1
        while k < n and cls[cp[k]] & DIGIT:
            k += 1
    elif c == 46 and j + 1 < n and cls[cp[j + 1]] & DIGIT:
        k = j + 2
        while k < n and (cls[cp[k]] & DIGIT or cp[k] == 95):
            k += 1
    else:
        return -1
    if k < n and (cp[k] == 101 or cp[k] == 69):  # (?:[eE][+-]?\d+)?
        m = k + 1
        if m < n and (cp[m] == 43 or cp[m] == 45):
            m += 1
        if m < n and cls[cp[m]] & DIGIT:
            m += 1
            while m < n and cls[cp[m]] & DIGIT:
                m += 1
            k = m
    while k < n and _is_alpha(cp[k]):
        k += 1
    return k


@numba.njit(cache=True)
def _python_string_end(cp, j, n):
    """End of the Python family's ``str`` alternative at ``j``, or -1."""
    q = j
    c = cp[j]
    if _is_prefix(c):
        if j + 2 < n and _is_prefix(cp[j + 1]) and (cp[j + 2] == 34 or cp[j + 2] == 39):
            q = j + 2
        elif j + 1 < n and (cp[j + 1] == 34 or cp[j + 1] == 39):
            q = j + 1
        else:
            return -1
    elif c != 34 and c != 39:
        return -1
    quote = cp[q]
    if q + 2 < n and cp[q + 1] == quote and cp[q + 2] == quote:
        k = q + 3
        while True:  # lazily, up to the closing triple quote or the end of the text
            if k + 2 < n and cp[k] == quote and cp[k + 1] == quote and cp[k + 2] == quote:
                return k + 3
            if k >= n:
                return n
            if cp[k] == 92:
                if k + 1 >= n:
                    break  # a backslash ends the text: no triple-quoted match; the short form below
                k += 2
            else:
                k += 1
    return _quoted(cp, q + 1, n, quote, True, True)


@numba.njit(cache=True)
def _comment_or_string(cp, j, n, family):
    """(end, is_comment) of a comment or string at ``j``; end -1 when neither starts there."""
    c = cp[j]
    nxt = cp[j + 1] if j + 1 < n else 0
    if family == 0:  # C-like
        if c == 47 and nxt == 47:
            return _line_end(cp, j, n), True
        if c == 47 and nxt == 42:
            return _skip_to(cp, j + 2, n, 42, 47), True
        if c == 34 or c == 39:
            return _quoted(cp, j + 1, n, c, True, True), False
        if c == 96:
            return _quoted(cp, j + 1, n, c, True, False), False
    elif family == 1:  # Python
        if c == 35:
            return _line_end(cp, j, n), True
        return _python_string_end(cp, j, n), False
    elif family == 2:  # hash
        if c == 35:
            return _line_end(cp, j, n), True
        if c == 34:
            return _quoted(cp, j + 1, n, c, True, False), False
        if c == 39:
            return _quoted(cp, j + 1, n, c, False, False), False
    else:  # dash
        if c == 45 and nxt == 45:
            return _line_end(cp, j, n), True
        if c == 47 and nxt == 42:
            return _skip_to(cp, j + 2, n, 42, 47), True
        if c == 123 and nxt == 45:
            return _skip_to(cp, j + 2, n, 45, 125), True
        if c == 34:
            return _quoted(cp, j + 1, n, c, True, True), False
        if c == 39:
            k = j + 1
            while k < n:
                if cp[k] == 39:
                    if k + 1 < n and cp[k + 1] == 39:
                        k += 2
                        continue
                    break
                k += 1
            if k < n:
                k += 1
            return k, False
    return -1, False


@numba.njit(cache=True)
def _lookup(sorted_keys, h):
    i = np.searchsorted(sorted_keys, h)
    return i < len(sorted_keys) and sorted_keys[i] == h


@numba.njit(cache=True, inline="always")
def _next_token(cp, i, n, family, cls):
    """(start, end, kind) of the next token at or after ``i``: the scanner's ``\\s*`` and then
    its alternatives in order (comment, string, number, name, punctuation). Kind -1 is a
    comment; start ``n`` means the text is done."""
    while i < n and cls[cp[i]] & SPACE:
        i += 1
    if i >= n:
        return n, n, -1
    j = i
    c = cp[j]
    end, comment = _comment_or_string(cp, j, n, family)
    if end >= 0:
        return j, end, -1 if comment else STRING
    end = _number_end(cp, j, n, cls)
    if end >= 0:
        return j, end, NUMBER
    if (cls[c] & WORD and not cls[c] & DIGIT) or c == 36:  # [^\W\d]\w* | \$\w*
        end = j + 1
        while end < n and cls[cp[end]] & WORD:
            end += 1
        return j, end, IDENT
    return j, j + 1, PUNCT


@numba.njit(cache=True, nogil=True)
def shared_tokens_of_segments(cp, utf8, byte_at, seg_starts, seg_ends, families, cls, wanted):
    """For each text ``cp[seg_starts[s]:seg_ends[s]]``, lexed on its own in lexical family
    ``families[s]``, how many of the distinct raw-token hashes ``wanted`` (sorted, unique) it
    holds: re-ranking asks it of the best window of every candidate, in one call. An empty
    ``byte_at`` means ``cp`` is ASCII bytes (the index's own content, read in place), so a code
    point's byte offset is its own offset."""
    identity = len(byte_at) == 0
    counts = np.zeros(len(families), np.int64)
    seen = np.full(len(wanted), -1, np.int64)  # the last text each wanted token was counted in
    for s in range(len(families)):
        i = seg_starts[s]
        n = seg_ends[s]
        while True:
            j, end, kind = _next_token(cp, i, n, families[s], cls)
            if j >= n:
                break
            i = end
            if kind < 0:
                continue
            h = xxh64(utf8, j, end) if identity else xxh64(utf8, byte_at[j], byte_at[end])
            k = np.searchsorted(wanted, h)
            if k < len(wanted) and wanted[k] == h and seen[k] != s:
                seen[k] = s
                counts[s] += 1
    return counts


@numba.njit(cache=True, nogil=True)
def lex(cp, utf8, byte_at, family, cls, keyword_hashes, caseless, norm_ident, norm_literals, norm_constants):
    """Tokens of the code points ``cp``: (kinds, starts, ends, raw hashes, norm hashes, fix-ups).

    ``utf8`` is the text's UTF-8 (surrogates passed through) and ``byte_at[i]`` the byte offset
    of code point ``i``; ``norm_constants`` (uint64) the hashes of ``I``, ``S`` and ``0``. A
    norm hash with a fix-up code is left for Python (module docstring)."""
    h_ident, h_string, h_number = norm_constants[0], norm_constants[1], norm_constants[2]
    n = len(cp)
    kinds = np.empty(n, np.uint8)
    starts = np.empty(n, np.int64)
    ends = np.empty(n, np.int64)
    raw = np.empty(n, np.uint64)
    norm = np.empty(n, np.uint64)
    fix = np.zeros(n, np.uint8)
    lowered = np.empty(64, np.uint8)
    t = 0
    i = 0
    while True:
        j, end, kind = _next_token(cp, i, n, family, cls)
        if j >= n:
            break
        i = end
        if kind < 0:
            continue
        b0 = byte_at[j]
        b1 = byte_at[end]
        h = xxh64(utf8, b0, b1)
        nh = h
        if kind == IDENT:
            ascii_only = b1 - b0 == end - j
            if caseless:
                if not ascii_only:
                    fix[t] = FIX_CASELESS_NAME
                elif b1 - b0 <= 64:
                    for k in range(b1 - b0):
                        ch = utf8[b0 + k]
                        lowered[k] = ch + 32 if 65 <= ch <= 90 else ch
                    lh = xxh64(lowered, 0, b1 - b0)
                    if _lookup(keyword_hashes, lh):
                        kind = KEYWORD
                        nh = lh
            elif ascii_only and _lookup(keyword_hashes, h):
                kind = KEYWORD
            if kind == IDENT and norm_ident:
                nh = h_ident
        elif kind == STRING:
            if norm_literals:
                nh = h_string
            elif norm_ident:
                for k in range(b0, b1):
                    if utf8[k] == 123 or utf8[k] == 36:  # "{" or "$": may interpolate names
                        fix[t] = FIX_INTERPOLATION
                        break
        elif kind == NUMBER and norm_literals:
            nh = h_number
        kinds[t] = kind
        starts[t] = j
        ends[t] = end
        raw[t] = h
        norm[t] = nh
        t += 1
    return kinds[:t].copy(), starts[:t].copy(), ends[:t].copy(), raw[:t].copy(), norm[:t].copy(), fix[:t].copy()


@numba.njit(cache=True, nogil=True)
def block_minhash(hashes, a, b, stride):
    """MinHash of each block of ``stride`` consecutive shingle hashes (the last block may be
    short): ``np.minimum.reduceat(permuted(hashes), range(0, n, stride))`` of
    :mod:`auditor.fingerprint.minhash`, without the (shingles x permutations) matrix. The
    affine32 permutation ``a * fmix32(h) + b`` wraps at 32 bits, as numpy's uint32 does."""
    n = len(hashes)
    num_perm = len(a)
    n_blocks = (n + stride - 1) // stride
    out = np.empty((n_blocks, num_perm), np.uint32)
    mask = np.uint64(0xFFFFFFFF)
    a64 = a.astype(np.uint64)
    b64 = b.astype(np.uint64)
    row = np.empty(num_perm, np.uint64)
    for blk in range(n_blocks):
        row[:] = mask
        for s in range(blk * stride, min(n, (blk + 1) * stride)):
            h = np.uint64(hashes[s])
            h = h ^ (h >> np.uint64(16))
            h = (h * np.uint64(0x85EBCA6B)) & mask
            h = h ^ (h >> np.uint64(13))
            h = (h * np.uint64(0xC2B2AE35)) & mask
            h = h ^ (h >> np.uint64(16))
            for p in range(num_perm):
                v = (a64[p] * h + b64[p]) & mask
                if v < row[p]:
                    row[p] = v
        for p in range(num_perm):
            out[blk, p] = np.uint32(row[p])
    return out
