"""Verify a candidate by aligning snippet tokens with source tokens.

Alignment runs on normalised tokens (identifiers -> ``I``, literals -> ``S``/``0``),
so renamed and reformatted copies align; raw tokens then say how much is identical.
With the compiled lexer, each pass's blocks and statistics come from
:mod:`auditor.matching.align_kernel`, which gives the same ones as the Python steps here.
"""
from __future__ import annotations

from dataclasses import dataclass
import functools
from typing import NamedTuple

import numpy as np

from ..config import VerifyConfig
from ..fingerprint.mode import compiled_in_use
from ..fingerprint.tokens import IDENT, NUMBER, STRING, Tokens, tokenize
from ..models import AlignedBlock

VERDICTS = ("verbatim", "near-verbatim", "similar", "none")
MAX_REGION_CHARS = 200_000


@dataclass(frozen=True)
class Alignment:
    verdict: str
    score: float
    coverage: float
    identity: float
    exact_share: float  # aligned tokens whose raw text is identical
    aligned: int
    longest_run: int
    snippet_lines: tuple[int, int]
    source_lines: tuple[int, int]
    source_chars: tuple[int, int]  # char span of the matched source text
    snippet_chars: tuple[int, int]  # char span of the matched snippet text
    blocks: tuple[AlignedBlock, ...]
    why: str = ""  # the numbers and thresholds behind the verdict, in words


class Block(NamedTuple):
    a: int  # first snippet token
    b: int  # first source token
    size: int


def _ids(left, right) -> tuple[np.ndarray, np.ndarray]:
    """Small integer ids (int64 arrays) for two token sequences, equal where the tokens are:
    token strings, or their 64-bit hashes (``Tokens.raw_hashes``).

    Hashes are numbered by the snippet's (``left``) own sorted vocabulary, computed once per
    snippet; every source token the snippet lacks gets one id past it. Only equality between
    the two sides matters to the alignment (the LCS, the k-gram vote and the run extension all
    compare a snippet token with a source token), so the blocks are those of a numbering of
    every distinct token, for a binary search into a few hundred values per source token."""
    if isinstance(left, np.ndarray):
        vocab, a = _snippet_vocabulary(left)
        at = np.searchsorted(vocab, right)
        known = vocab[np.minimum(at, len(vocab) - 1)] == right if len(vocab) else np.zeros(len(right), bool)
        return a, np.where(known, at, len(vocab)).astype(np.int64)
    vocab: dict[str, int] = {}
    return (np.array([vocab.setdefault(t, len(vocab)) for t in left], dtype=np.int64),
            np.array([vocab.setdefault(t, len(vocab)) for t in right], dtype=np.int64))


_VOCABULARIES: dict[int, tuple] = {}  # id(snippet hash array) -> (the array, vocabulary, ids)


def _snippet_vocabulary(left: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct hashes, the id of each token) of a snippet's hashes, remembered while the
    same array is aligned against candidate after candidate."""
    known = _VOCABULARIES.get(id(left))
    if known is None or known[0] is not left:
        if len(_VOCABULARIES) >= 8:
            _VOCABULARIES.clear()
        vocab = np.unique(left)
        known = _VOCABULARIES[id(left)] = (left, vocab, np.searchsorted(vocab, left).astype(np.int64))
    return known[1], known[2]


def matching_blocks(left: list[int], right: list[int], min_size: int = 1) -> list[Block]:
    """Runs of at least ``min_size`` equal tokens in a longest common subsequence of the two
    token id lists.

    rapidfuzz computes the LCS bit-parallel in C++; difflib's SequenceMatcher gave the
    same blocks on real copies but was 50-100x slower on 2,000-token regions. Over a wide
    region most runs are a token or two of chance matches: they are dropped as plain tuples
    before any Block is made.
    """
    from rapidfuzz.distance import Indel

    return [Block(i1, j1, i2 - i1) for tag, i1, i2, j1, _ in Indel.opcodes(left, right).as_list()
            if tag == "equal" and i2 - i1 >= min_size]


_PRIME = np.uint64(1_000_003)
_CAP = 8  # k-gram pairs that vote per source position (best_diagonal)


@functools.lru_cache(maxsize=64)
def _powers(k: int) -> np.ndarray:
    """_PRIME ** (k - 1 - j) modulo 2**64, for j in 0..k-1 (read-only: it is shared)."""
    p = np.ones(k, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k - 2, -1, -1):
            p[j] = p[j + 1] * _PRIME
    p.flags.writeable = False
    return p


def _kgram_hashes(ids: list[int], k: int) -> np.ndarray:
    """``sum((ids[i + j] + 1) * _PRIME ** (k - 1 - j))`` modulo 2**64 for every k-gram: one
    integer matrix product over the sliding windows (numpy's integer products wrap)."""
    a = np.array(ids, dtype=np.uint64)  # a copy: it is changed in place below
    if len(a) < k:
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        a += np.uint64(1)
        # the k-grams as rows: a strided view of ``a``, no copy
        grams = np.ndarray((len(a) - k + 1, k), dtype=np.uint64, buffer=a, strides=(a.itemsize, a.itemsize))
        return grams @ _powers(k)


def best_diagonal(left: list[int], right: list[int], k: int) -> int | None:
    """The offset ``d`` (right position minus left position) shared by the most k-grams of
    the two token lists, or None when they share none: seed-and-extend's anchor.

    An LCS over a region much wider than the snippet may scatter normalised tokens
    (``I = I ( I )``) over look-alike lines; the diagonal with the most shared k-grams is
    where the snippet actually lies.
    """
    if compiled_in_use():
        from .align_kernel import best_diagonal as compiled

        found, diagonal = compiled(np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64), k,
                                   _powers(k), _CAP)
        return int(diagonal) if found else None
    hl, hr = _kgram_hashes(left, k), _kgram_hashes(right, k)
    if not len(hl) or not len(hr):
        return None
    order = np.argsort(hl, kind="stable")
    sorted_l = hl[order]
    lo = np.searchsorted(sorted_l, hr, side="left")
    hi = np.searchsorted(sorted_l, hr, side="right")
    counts = hi - lo
    hit = np.nonzero(counts)[0]
    if not len(hit):
        return None
    # every (left, right) pair of equal k-grams votes for its diagonal; cap the pairs per
    # right position so a k-gram repeated all over templated code cannot flood the vote
    taken = np.minimum(counts[hit], _CAP)
    rs = np.repeat(hit, taken)
    # the first ``taken`` left positions of each hit's run in ``order``, in one gather
    ls = order[np.repeat(lo[hit] - np.cumsum(taken) + taken, taken) + np.arange(int(taken.sum()))]
    diagonals = rs.astype(np.int64) - ls.astype(np.int64)
    values, votes = np.unique(diagonals, return_counts=True)
    return int(values[np.argmax(votes)])


def _anchored_blocks(left: list[str], right: list[str], n: int, cfg: VerifyConfig,
                     same_raw=lambda i, j: True) -> list[Block]:
    """The aligned blocks of ``left`` (the snippet) in ``right``. ``same_raw(i, j)``: whether
    snippet token i and source token j are identical as written."""
    min_block = min(cfg.min_block, max(3, n // 4))
    a_ids, b_ids = _ids(left, right)
    a, b = a_ids.tolist(), b_ids.tolist()
    slack = max(8, n // 4)
    diagonal = best_diagonal(a_ids, b_ids, min_block)
    if diagonal is None:
        # no shared k-gram: anchor on the longest run of an LCS over the whole region
        blocks = matching_blocks(a, b, min_block)
        if not blocks:
            return []
        anchor = max(blocks, key=lambda bl: bl.size)
        diagonal = anchor.b - anchor.a
    # align again within the stretch of source the snippet could cover from that anchor
    lo = max(0, diagonal - slack)
    hi = min(len(b), diagonal + n + slack)
    blocks = [Block(bl.a, bl.b + lo, bl.size) for bl in matching_blocks(a, b[lo:hi], min_block)]
    if not blocks:
        return blocks
    # An LCS is not unique: ``I : I . I [ I`` may be matched to the look-alike line above
    # the copy as readily as to the copy itself, which splits one unbroken run in three.
    # Extend the longest run along its own diagonal, then align what flanks it.
    anchor = _extend(max(blocks, key=lambda bl: bl.size), a, b, lo, hi, same_raw)
    end_a, end_b = anchor.a + anchor.size, anchor.b + anchor.size
    before = [Block(bl.a, bl.b + lo, bl.size) for bl in matching_blocks(a[:anchor.a], b[lo:anchor.b], min_block)]
    after = [Block(bl.a + end_a, bl.b + end_b, bl.size) for bl in matching_blocks(a[end_a:], b[end_b:hi], min_block)]
    return _main_chain(before + [anchor] + after, max(32, n // 8))


def compiled_blocks(snippet: Tokens, src: Tokens, left: np.ndarray, right: np.ndarray, cfg: VerifyConfig) -> np.ndarray:
    """:func:`_anchored_blocks` in one compiled call (:mod:`auditor.matching.align_kernel`), as a
    (k, 3) array of (snippet token, source token, size)."""
    from .align_kernel import anchored_blocks

    n = len(snippet)
    min_block = min(cfg.min_block, max(3, n // 4))
    vocab, a_ids = _snippet_vocabulary(left)
    return anchored_blocks(a_ids, vocab, right, min_block, max(8, n // 4), max(32, n // 8), _powers(min_block), _CAP,
                           _EDGE_TRIM, snippet.raw_hashes, src.raw_hashes, snippet.kinds, snippet.code_points,
                           snippet.starts, snippet.ends, src.code_points, src.starts, src.ends)


def _compiled_pass(snippet: Tokens, src: Tokens, left: np.ndarray, right: np.ndarray, cfg: VerifyConfig,
                   informative: np.ndarray) -> tuple | None:
    """:func:`_pass` in two compiled calls."""
    from .align_kernel import block_stats

    found = compiled_blocks(snippet, src, left, right, cfg)
    if not len(found):
        return None
    stats = block_stats(found, len(snippet), snippet.raw_hashes, src.raw_hashes, snippet.kinds, _NAMED_KIND,
                        informative, snippet.code_points, snippet.starts, snippet.ends, src.code_points,
                        src.starts, src.ends)
    return [Block(*row) for row in found.tolist()], stats


def _pass(snippet: Tokens, src: Tokens, left, right, cfg: VerifyConfig, informative: np.ndarray) -> tuple | None:
    """One pass of :func:`align` on the token hashes ``left`` (snippet) and ``right`` (source):
    (blocks, the statistics of :func:`_block_stats`), or None when nothing aligns. Compiled when
    both sides were lexed by the compiled lexer (they carry their code points)."""
    if snippet.code_points is not None and src.code_points is not None:
        return _compiled_pass(snippet, src, left, right, cfg, informative)
    blocks = _anchored_blocks(left, right, len(snippet), cfg, lambda i, j: same_token(snippet, src, i, j))
    return (blocks, _block_stats(snippet, src, blocks, informative)) if blocks else None


_EDGE_TRIM = 2  # chance matches an LCS run may carry at each end


def _extend(block: Block, a: list[int], b: list[int], lo: int, hi: int, same_raw) -> Block:
    """``block`` grown in both directions while the tokens on its diagonal stay equal, then cut
    back at each end to a token that is identical as written: past the end of a copy an ``I``
    equals an ``I`` by chance, and the LCS run itself may end in such a token. The grown parts
    are cut back as far as needed; the run itself by at most ``_EDGE_TRIM`` tokens, so a copy
    whose names are all changed (Haskell's ``foo = bar alpha beta``) keeps its run."""
    shift = block.b - block.a
    start, end = block.a, block.a + block.size
    while start > 0 and start - 1 + shift >= lo and a[start - 1] == b[start - 1 + shift]:
        start -= 1
    while end < len(a) and end + shift < hi and a[end] == b[end + shift]:
        end += 1
    floor = min(block.a + _EDGE_TRIM, block.a + block.size - 1)
    while start < floor and not same_raw(start, start + shift):
        start += 1
    ceiling = max(block.a + block.size - _EDGE_TRIM, start + 1)
    while end > ceiling and not same_raw(end - 1, end - 1 + shift):
        end -= 1
    return Block(start, start + shift, end - start)


def _main_chain(blocks: list[Block], max_gap: int) -> list[Block]:
    """The blocks chained to the longest one by gaps of at most ``max_gap`` tokens on both
    sides. A copy is one stretch of code, edited here and there; a short run of ``I = I ( I )``
    hundreds of tokens away is the LCS filling space, not part of it, and would stretch the
    span a partial copy is judged on."""
    if not blocks:
        return blocks

    def joined(x: Block, y: Block) -> bool:  # y follows x closely enough in both texts
        return y.a - (x.a + x.size) <= max_gap and y.b - (x.b + x.size) <= max_gap

    first = last = max(range(len(blocks)), key=lambda k: blocks[k].size)
    while first > 0 and joined(blocks[first - 1], blocks[first]):
        first -= 1
    while last + 1 < len(blocks) and joined(blocks[last], blocks[last + 1]):
        last += 1
    return blocks[first: last + 1]


def same_token(snippet: Tokens, src: Tokens, i: int, j: int) -> bool:
    """Whether snippet token ``i`` is source token ``j`` as written. A paste cut mid-word starts
    with the end of a name and may stop at the start of one (``animation = 0x7f01000d; ... =
    0x7f010``): a first or last name or number of at least 3 characters that is the end or the
    start of its source token counts as copied too."""
    if snippet.raw_hashes[i] == src.raw_hashes[j]:
        return True
    if (i != 0 and i != len(snippet) - 1) or snippet.kinds[i] not in (IDENT, NUMBER):
        return False
    mine, theirs = snippet.token(i), src.token(j)
    if len(mine) < 3 or len(mine) >= len(theirs):
        return False
    return (i == 0 and theirs.endswith(mine)) or (i == len(snippet) - 1 and theirs.startswith(mine))


# by token kind (KEYWORD, IDENT, STRING, NUMBER, PUNCT): whether it is a name or literal
_NAMED_KIND = np.array([k in (IDENT, STRING, NUMBER) for k in range(5)])


def _block_stats(snippet: Tokens, src: Tokens, blocks: list[Block], informative: np.ndarray):
    """(fit: how much of the snippet aligns, identical tokens counting double; score: the
    fit with the source's extra tokens inside the span counted against it; per-token
    identical flags, coverage, identity, exact share, aligned tokens, aligned tokens off
    boilerplate lines)."""
    n = len(snippet)
    s_idx = np.concatenate([np.arange(b.a, b.a + b.size) for b in blocks])
    t_idx = np.concatenate([np.arange(b.b, b.b + b.size) for b in blocks])
    same = snippet.raw_hashes[s_idx] == src.raw_hashes[t_idx]
    for k in {0, len(s_idx) - 1}:  # a first or last token cut mid-word (same_token)
        if not same[k]:
            same[k] = same_token(snippet, src, int(s_idx[k]), int(t_idx[k]))
    named = _NAMED_KIND[snippet.kinds[s_idx]]
    aligned = len(s_idx)
    identity = float(same[named].mean()) if named.any() else 1.0
    # Tokens the source has inside the aligned span but the snippet lacks count against the
    # score too: of two files holding the snippet, the one that holds it without additions
    # (``new SequenceError(`` rather than ``new SequenceError_1.SequenceError(``) ranks first.
    weighted = float(same.sum() + 0.5 * (~same).sum())
    source_span = blocks[-1].b + blocks[-1].size - blocks[0].b
    return (weighted / n, weighted / max(n, source_span), same, aligned / n, identity, float(same.mean()), aligned,
            int(informative[s_idx].sum()))


def align(snippet: Tokens, snippet_text: str, source_text: str, region: tuple[int, int],
          language: str | None, normalize_identifiers: bool, normalize_literals: bool,
          cfg: VerifyConfig, informative: np.ndarray | None = None) -> Alignment | None:
    """``informative``: per snippet token, False on boilerplate lines (imports, accessors:
    :mod:`auditor.matching.boilerplate`); those tokens align but do not count as evidence.
    None when nothing aligns or the verdict is ``none``: most candidates end so, and their line
    numbers are not worth working out."""
    r0, r1 = region
    if r1 < 0 or r1 - r0 > MAX_REGION_CHARS:
        r1 = min(len(source_text), r0 + MAX_REGION_CHARS)
    region_text = source_text[r0:r1]
    src = tokenize(region_text, language, normalize_identifiers=normalize_identifiers,
                   normalize_literals=normalize_literals)
    n = len(snippet)
    if n == 0 or len(src) == 0:
        return None
    if informative is None:
        informative = np.ones(n, dtype=bool)
    # Align twice: on raw tokens (finds the exact copy in repetitive, templated code, where
    # normalised tokens align with the first look-alike) and on normalised tokens (finds
    # renamed copies). The better-scoring alignment wins; when the raw one already aligns
    # every token as written, the normalised one cannot do better and is skipped.
    best = None
    for left, right in ((snippet.raw_hashes, src.raw_hashes), (snippet.norm_hashes, src.norm_hashes)):
        if best is not None and best[1][0] >= 1.0:
            break
        found = _pass(snippet, src, left, right, cfg, informative)
        if found is not None and (best is None or found[1][0] > best[1][0]):
            best = found
    if best is None:
        return None
    blocks, (_, score, same, coverage, identity, exact_share, aligned, evidence) = best
    longest = max(b.size for b in blocks)
    verdict, why = _verdict(coverage, identity, exact_share, evidence, longest, cfg, n)
    # A copy may fill only part of the snippet: a function copied into a longer generated
    # file, or a snippet stitched from two sources. Judge that part on its own, from the
    # first to the last aligned snippet token, once it is long enough to mean something.
    span = blocks[-1].a + blocks[-1].size - blocks[0].a
    if span < n and evidence >= cfg.min_part_tokens:
        part, part_why = _verdict(aligned / span, identity, exact_share, evidence, longest, cfg, span)
        if VERDICTS.index(part) < VERDICTS.index(verdict):
            verdict, why = part, f"judged on the copied part ({span} of the snippet's {n} tokens): {part_why}"
    if verdict == "none":
        return None

    # line numbers of the blocks' first and last tokens only (Tokens.lines numbers every token)
    source_first_line = source_text.count("\n", 0, r0) + 1

    def snippet_line(i: int) -> int:
        return snippet_text.count("\n", 0, int(snippet.starts[i])) + 1

    def source_line(j: int) -> int:
        return region_text.count("\n", 0, int(src.starts[j])) + source_first_line

    out_blocks = []
    pos = 0
    for b in blocks:
        exact = bool(same[pos: pos + b.size].all())
        pos += b.size
        out_blocks.append(AlignedBlock(
            snippet_lines=(snippet_line(b.a), snippet_line(b.a + b.size - 1)),
            source_lines=(source_line(b.b), source_line(b.b + b.size - 1)),
            tokens=b.size, exact=exact))
    first, last = blocks[0], blocks[-1]
    return Alignment(
        verdict=verdict, score=round(float(score), 4), coverage=round(coverage, 4), identity=round(identity, 4),
        exact_share=round(exact_share, 4), aligned=aligned, longest_run=longest,
        snippet_lines=(out_blocks[0].snippet_lines[0], out_blocks[-1].snippet_lines[1]),
        source_lines=(out_blocks[0].source_lines[0], out_blocks[-1].source_lines[1]),
        source_chars=(r0 + int(src.starts[first.b]), r0 + int(src.ends[last.b + last.size - 1])),
        snippet_chars=(int(snippet.starts[first.a]), int(snippet.ends[last.a + last.size - 1])),
        blocks=tuple(out_blocks), why=why,
    )


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _verdict(coverage: float, identity: float, exact_share: float, aligned: int, longest: int,
             cfg: VerifyConfig, n: int) -> tuple[str, str]:
    """(verdict, why): the verdict and the numbers and thresholds that decided it, in words.
    ``aligned``: aligned tokens that count as evidence (off boilerplate lines); ``n``:
    snippet tokens judged (the snippet, or the span a partial copy fills)."""
    if coverage >= cfg.verbatim_coverage and exact_share >= cfg.verbatim_identity and aligned >= cfg.min_snippet_tokens:
        return "verbatim", (f"coverage {_pct(coverage)} >= {_pct(cfg.verbatim_coverage)}, identical tokens "
                            f"{_pct(exact_share)} >= {_pct(cfg.verbatim_identity)}, {aligned} evidence tokens "
                            f">= {cfg.min_snippet_tokens}")
    if aligned < cfg.min_tokens:
        return "none", f"{aligned} evidence tokens < {cfg.min_tokens}"
    needed = cfg.short_identity if aligned < cfg.short_tokens else cfg.near_identity
    # A renamed copy keeps the code's shape in one piece: one unbroken aligned run over most
    # of the snippet. Look-alike code shares shorter runs (measured on the dev split of
    # benchmarks/accuracy: see VerifyConfig).
    # The longer the unbroken run, the less its names need to agree: the identity asked for
    # falls from ``renamed_identity`` at ``min_run`` tokens to nothing at ``structural_tokens``.
    fade = min(1.0, max(0.0, (longest - cfg.min_run) / max(1, cfg.structural_tokens - cfg.min_run)))
    renamed_needs = cfg.renamed_identity * (1.0 - fade)
    renamed = (aligned >= cfg.min_run and longest >= cfg.renamed_run * n and identity >= renamed_needs)
    if identity >= needed:
        shape = f"names kept {_pct(identity)} >= {_pct(needed)}"
    elif aligned >= cfg.structural_tokens:
        shape = f"{aligned} aligned tokens >= {cfg.structural_tokens}, names aside"
    elif renamed:
        shape = (f"renamed: one run of {longest} tokens >= {_pct(cfg.renamed_run)} of {n}, "
                 f"names kept {_pct(identity)} >= {_pct(renamed_needs)}")
    else:
        shape = None
    evidence = f"{aligned} evidence tokens >= {cfg.min_tokens}"
    if coverage >= cfg.near_coverage and shape:
        return "near-verbatim", f"coverage {_pct(coverage)} >= {_pct(cfg.near_coverage)}, {shape}, {evidence}"
    if coverage >= cfg.similar_coverage and longest >= cfg.similar_run and shape:
        return "similar", (f"coverage {_pct(coverage)} >= {_pct(cfg.similar_coverage)} (near-verbatim needs "
                           f"{_pct(cfg.near_coverage)}), longest run {longest} >= {cfg.similar_run}, {shape}, {evidence}")
    if not shape:
        return "none", (f"names kept {_pct(identity)} < {_pct(needed)}, and no single run covers "
                        f"{_pct(cfg.renamed_run)} of the snippet")
    if coverage < cfg.similar_coverage:
        return "none", f"coverage {_pct(coverage)} < {_pct(cfg.similar_coverage)}"
    return "none", f"longest run {longest} < {cfg.similar_run} at coverage {_pct(coverage)}"
