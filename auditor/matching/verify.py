"""Verify a candidate by aligning snippet tokens with source tokens.

Alignment runs on normalised tokens (identifiers -> ``I``, literals -> ``S``/``0``),
so renamed and reformatted copies align; raw tokens then say how much is identical.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..config import VerifyConfig
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
    blocks: tuple[AlignedBlock, ...]


class Block(NamedTuple):
    a: int  # first snippet token
    b: int  # first source token
    size: int


def matching_blocks(left: list[str], right: list[str]) -> list[Block]:
    """Runs of equal tokens in a longest common subsequence of the two token lists.

    rapidfuzz computes the LCS bit-parallel in C++; difflib's SequenceMatcher gave the
    same blocks on real copies but was 50-100x slower on 2,000-token regions.
    """
    from rapidfuzz.distance import Indel

    vocab: dict[str, int] = {}
    a = [vocab.setdefault(t, len(vocab)) for t in left]
    b = [vocab.setdefault(t, len(vocab)) for t in right]
    return [Block(op.src_start, op.dest_start, op.src_end - op.src_start)
            for op in Indel.opcodes(a, b) if op.tag == "equal"]


def _anchored_blocks(left: list[str], right: list[str], n: int, cfg: VerifyConfig) -> list[Block]:
    min_block = min(cfg.min_block, max(3, n // 4))
    blocks = [b for b in matching_blocks(left, right) if b.size >= min_block]
    if not blocks:
        return []
    # An LCS over a wide region may pick up snippet tokens far from the copy. Anchor on the
    # longest run and align again within the stretch of source the snippet could cover.
    anchor = max(blocks, key=lambda b: b.size)
    slack = max(8, n // 4)
    lo = max(0, anchor.b - anchor.a - slack)
    hi = min(len(right), anchor.b + (n - anchor.a) + slack)
    return [Block(b.a, b.b + lo, b.size) for b in matching_blocks(left, right[lo:hi]) if b.size >= min_block]


def _block_stats(snippet: Tokens, src: Tokens, blocks: list[Block], informative: np.ndarray):
    """(score, per-token identical flags, coverage, identity, exact share, aligned tokens,
    aligned tokens off boilerplate lines)."""
    n = len(snippet)
    s_idx = np.concatenate([np.arange(b.a, b.a + b.size) for b in blocks])
    t_idx = np.concatenate([np.arange(b.b, b.b + b.size) for b in blocks])
    same = np.array([snippet.raw[i] == src.raw[j] for i, j in zip(s_idx.tolist(), t_idx.tolist())])
    named = np.isin(snippet.kinds[s_idx], (IDENT, STRING, NUMBER))
    aligned = len(s_idx)
    identity = float(same[named].mean()) if named.any() else 1.0
    score = float(same.sum() + 0.5 * (~same).sum()) / n
    return score, same, aligned / n, identity, float(same.mean()), aligned, int(informative[s_idx].sum())


def align(snippet: Tokens, snippet_text: str, source_text: str, region: tuple[int, int],
          language: str | None, normalize_identifiers: bool, normalize_literals: bool,
          cfg: VerifyConfig, informative: np.ndarray | None = None) -> Alignment | None:
    """``informative``: per snippet token, False on boilerplate lines (imports, accessors:
    :mod:`auditor.matching.boilerplate`); those tokens align but do not count as evidence."""
    r0, r1 = region
    if r1 < 0 or r1 - r0 > MAX_REGION_CHARS:
        r1 = min(len(source_text), r0 + MAX_REGION_CHARS)
    src = tokenize(source_text[r0:r1], language, normalize_identifiers=normalize_identifiers,
                   normalize_literals=normalize_literals)
    n = len(snippet)
    if n == 0 or len(src) == 0:
        return None
    if informative is None:
        informative = np.ones(n, dtype=bool)
    src.starts += r0
    src.ends += r0
    # Align twice: on raw tokens (finds the exact copy in repetitive, templated code, where
    # normalised tokens align with the first look-alike) and on normalised tokens (finds
    # renamed copies). The better-scoring alignment wins.
    best = None
    for left, right in ((snippet.raw, src.raw), (snippet.norm, src.norm)):
        blocks = _anchored_blocks(left, right, n, cfg)
        if blocks:
            stats = _block_stats(snippet, src, blocks, informative)
            if best is None or stats[0] > best[1][0]:
                best = (blocks, stats)
    if best is None:
        return None
    blocks, (score, same, coverage, identity, exact_share, aligned, evidence) = best
    longest = max(b.size for b in blocks)
    verdict = _verdict(coverage, identity, exact_share, evidence, longest, cfg, n)
    # A copy may fill only part of the snippet: a function copied into a longer generated
    # file, or a snippet stitched from two sources. Judge that part on its own, from the
    # first to the last aligned snippet token, once it is long enough to mean something.
    span = blocks[-1].a + blocks[-1].size - blocks[0].a
    if span < n and evidence >= cfg.min_part_tokens:
        part = _verdict(aligned / span, identity, exact_share, evidence, longest, cfg, span)
        verdict = min(verdict, part, key=VERDICTS.index)

    snippet_line = snippet.lines(snippet_text)
    source_line = src.lines(source_text[r0:r1], offset=r0, first_line=source_text.count("\n", 0, r0) + 1)
    out_blocks = []
    pos = 0
    for b in blocks:
        exact = bool(same[pos: pos + b.size].all())
        pos += b.size
        out_blocks.append(AlignedBlock(
            snippet_lines=(int(snippet_line[b.a]), int(snippet_line[b.a + b.size - 1])),
            source_lines=(int(source_line[b.b]), int(source_line[b.b + b.size - 1])),
            tokens=b.size, exact=exact))
    first, last = blocks[0], blocks[-1]
    return Alignment(
        verdict=verdict, score=round(float(score), 4), coverage=round(coverage, 4), identity=round(identity, 4),
        exact_share=round(exact_share, 4), aligned=aligned, longest_run=longest,
        snippet_lines=(out_blocks[0].snippet_lines[0], out_blocks[-1].snippet_lines[1]),
        source_lines=(out_blocks[0].source_lines[0], out_blocks[-1].source_lines[1]),
        source_chars=(int(src.starts[first.b]), int(src.ends[last.b + last.size - 1])),
        blocks=tuple(out_blocks),
    )


def _verdict(coverage: float, identity: float, exact_share: float, aligned: int, longest: int,
             cfg: VerifyConfig, n: int) -> str:
    """``aligned``: aligned tokens that count as evidence (off boilerplate lines); ``n``:
    snippet tokens judged (the snippet, or the span a partial copy fills)."""
    if coverage >= cfg.verbatim_coverage and exact_share >= cfg.verbatim_identity and aligned >= cfg.min_snippet_tokens:
        return "verbatim"
    if aligned < cfg.min_tokens:
        return "none"
    needed = cfg.short_identity if aligned < cfg.short_tokens else cfg.near_identity
    # A renamed copy keeps the code's shape in one piece: one unbroken aligned run over most
    # of the snippet. Look-alike code shares shorter runs (measured on the dev split of
    # benchmarks/accuracy: see VerifyConfig).
    renamed = longest >= cfg.renamed_run * n and identity >= cfg.renamed_identity
    shaped = identity >= needed or aligned >= cfg.structural_tokens or renamed
    if coverage >= cfg.near_coverage and shaped:
        return "near-verbatim"
    if coverage >= cfg.similar_coverage and longest >= cfg.min_tokens and shaped:
        return "similar"
    return "none"
