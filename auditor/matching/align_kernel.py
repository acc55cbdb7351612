"""The anchored alignment of :func:`auditor.matching.verify._anchored_blocks` in one compiled
(numba) call, used with the compiled lexer (:func:`auditor.fingerprint.mode.compiled_in_use`).

Python's version spends most of its time moving a few hundred token ids between numpy arrays,
Python lists and rapidfuzz, five times per candidate and pass. Here they stay in arrays:

- :func:`lcs_runs` is rapidfuzz's ``Indel.opcodes`` reduced to its ``equal`` runs: strip the
  common prefix and suffix, fill Hyyrö's bit-parallel LCS matrix (multi-word), and walk it back
  from the end with rapidfuzz's own tie rule (delete before match before insert;
  ``rapidfuzz/distance/LCSseq_py.py``, whose C++ twin gives the same opcodes). Which of several
  longest common subsequences is taken decides where blocks start, so the rule is copied
  exactly; ``tests/test_align_kernel.py`` compares the runs with rapidfuzz's on real and
  generated sequences.
- :func:`anchored_blocks` is ``_anchored_blocks`` itself: the k-gram vote for the diagonal
  (:func:`best_diagonal`, a dozen small numpy calls in Python), the LCS near it, the anchor run grown along
  its diagonal and cut back to tokens identical as written (``same_token``, here on code
  points), the LCS before and after it, and the main chain.

A compiled function here calls only compiled functions of this module: numba's on-disk cache of
a function is invalidated when its own file changes, not when a callee's file does (the token
kinds taken from :mod:`auditor.fingerprint.tokens` are constants, as in the lexer).
"""
from __future__ import annotations

import numba
import numpy as np

from ..fingerprint.tokens import IDENT, NUMBER

_ONE = np.uint64(1)


@numba.njit(cache=True, inline="always")
def _kgram_hashes(ids, k, powers):
    n = len(ids) - k + 1
    out = np.empty(max(n, 0), np.uint64)
    for i in range(n):
        h = np.uint64(0)
        for j in range(k):
            h += (np.uint64(ids[i + j]) + np.uint64(1)) * powers[j]
        out[i] = h
    return out


@numba.njit(cache=True, nogil=True)
def best_diagonal(left, right, k, powers, cap):
    """(found, diagonal): see :func:`auditor.matching.verify.best_diagonal`. Among diagonals with
    the most votes the smallest wins, as ``np.unique`` then ``argmax`` choose."""
    hl = _kgram_hashes(left, k, powers)
    hr = _kgram_hashes(right, k, powers)
    if len(hl) == 0 or len(hr) == 0:
        return False, 0
    order = np.argsort(hl, kind="mergesort")
    sorted_l = hl[order]
    n_l, n_r = len(hl), len(hr)
    # votes per diagonal r - l, which lies in [-(n_l - 1), n_r - 1]: counted in place, not sorted
    votes = np.zeros(n_l + n_r, np.int64)
    any_vote = False
    for r in range(n_r):
        t = np.searchsorted(sorted_l, hr[r], side="left")
        stop = min(n_l, t + cap)
        while t < stop and sorted_l[t] == hr[r]:
            votes[r - order[t] + n_l - 1] += 1
            any_vote = True
            t += 1
    if not any_vote:
        return False, 0
    best = 0
    for d in range(1, n_l + n_r):
        if votes[d] > votes[best]:
            best = d
    return True, best - (n_l - 1)


@numba.njit(cache=True, nogil=True)
def lcs_runs(a, a0, a1, b, b0, b1, min_size):
    """The ``equal`` opcodes of ``Indel.opcodes(a[a0:a1], b[b0:b1])`` of at least ``min_size``
    tokens, as an (k, 3) array of (first ``a`` index, first ``b`` index, size), indices into
    ``a`` and ``b``."""
    len1, len2 = a1 - a0, b1 - b0
    p = 0
    while p < len1 and p < len2 and a[a0 + p] == b[b0 + p]:
        p += 1
    s = 0
    while s < len1 - p and s < len2 - p and a[a1 - 1 - s] == b[b1 - 1 - s]:
        s += 1
    m1, m2 = len1 - p - s, len2 - p - s
    # matches of the middle parts, from the end backwards (rapidfuzz's recover_alignment)
    match_i = np.empty(min(m1, m2), np.int64)
    match_j = np.empty(min(m1, m2), np.int64)
    k = 0
    if m1 > 0 and m2 > 0:
        c0, r0 = a0 + p, b0 + p
        top = 0
        for t in range(m1):
            if a[c0 + t] > top:
                top = a[c0 + t]
        words = (m1 + 63) // 64
        table = np.zeros((top + 1, words), np.uint64)
        for t in range(m1):
            table[a[c0 + t], t >> 6] |= _ONE << np.uint64(t & 63)
        matrix = np.empty((m2, words), np.uint64)
        state = np.empty(words, np.uint64)
        for w in range(words):
            state[w] = ~np.uint64(0)
        if m1 & 63:
            state[words - 1] = (_ONE << np.uint64(m1 & 63)) - _ONE
        for r in range(m2):
            ch = b[r0 + r]
            carry = np.uint64(0)
            for w in range(words):
                x = state[w]
                u = x & table[ch, w] if 0 <= ch <= top else np.uint64(0)
                # (S + u) | (S - u), with the carry of the addition across words; u is a subset
                # of S's bits, so the subtraction borrows nothing and is S & ~u
                total = x + u
                c1 = total < x
                total2 = total + carry
                c2 = total2 < total
                carry = np.uint64(1) if (c1 or c2) else np.uint64(0)
                state[w] = total2 | (x & ~u)
                matrix[r, w] = state[w]
        col, row = m1, m2
        while row > 0 and col > 0:
            if (matrix[row - 1, (col - 1) >> 6] >> np.uint64((col - 1) & 63)) & _ONE:
                col -= 1  # delete
            else:
                row -= 1
                if row > 0 and not ((matrix[row - 1, (col - 1) >> 6] >> np.uint64((col - 1) & 63)) & _ONE):
                    pass  # insert
                else:
                    col -= 1
                    match_i[k] = c0 + col
                    match_j[k] = r0 + row
                    k += 1
    # every match in order: the common prefix, the middle (reversed back), the common suffix
    total_matches = p + k + s
    mi = np.empty(total_matches, np.int64)
    mj = np.empty(total_matches, np.int64)
    for t in range(p):
        mi[t], mj[t] = a0 + t, b0 + t
    for t in range(k):
        mi[p + t], mj[p + t] = match_i[k - 1 - t], match_j[k - 1 - t]
    for t in range(s):
        mi[p + k + t], mj[p + k + t] = a1 - s + t, b1 - s + t
    # an equal opcode is a maximal run of matches along one diagonal
    out = np.empty((total_matches, 3), np.int64)
    n_out = 0
    t = 0
    while t < total_matches:
        e = t + 1
        while e < total_matches and mi[e] == mi[e - 1] + 1 and mj[e] == mj[e - 1] + 1:
            e += 1
        if e - t >= min_size:
            out[n_out, 0], out[n_out, 1], out[n_out, 2] = mi[t], mj[t], e - t
            n_out += 1
        t = e
    return out[:n_out]


@numba.njit(cache=True, nogil=True)
def _same_token(i, j, n, raw_a, raw_b, kinds_a, a_cp, a_starts, a_ends, b_cp, b_starts, b_ends):
    """:func:`auditor.matching.verify.same_token` on code points."""
    if raw_a[i] == raw_b[j]:
        return True
    if (i != 0 and i != n - 1) or (kinds_a[i] != IDENT and kinds_a[i] != NUMBER):
        return False
    mine0, mine1 = a_starts[i], a_ends[i]
    theirs0, theirs1 = b_starts[j], b_ends[j]
    size = mine1 - mine0
    if size < 3 or size >= theirs1 - theirs0:
        return False
    if i == 0:  # the end of the source token
        off = theirs1 - size
        ok = True
        for t in range(size):
            if a_cp[mine0 + t] != b_cp[off + t]:
                ok = False
                break
        if ok:
            return True
    if i == n - 1:  # the start of the source token
        for t in range(size):
            if a_cp[mine0 + t] != b_cp[theirs0 + t]:
                return False
        return True
    return False


@numba.njit(cache=True, nogil=True)
def _longest(blocks):
    best = 0
    for t in range(1, len(blocks)):
        if blocks[t, 2] > blocks[best, 2]:
            best = t
    return best


@numba.njit(cache=True, nogil=True)
def anchored_blocks(a, vocab, right, min_block, slack, max_gap, powers, cap, edge_trim,
                    raw_a, raw_b, kinds_a, a_cp, a_starts, a_ends, b_cp, b_starts, b_ends):
    """``_anchored_blocks`` as an (k, 3) array of (snippet token, source token, size).

    ``a``: the snippet's token ids in its sorted vocabulary ``vocab``; ``right``: the source's
    token hashes (numbered here, one id past the vocabulary for tokens the snippet lacks)."""
    n = len(a)
    m = len(right)
    b = np.empty(m, np.int64)
    nv = len(vocab)
    for t in range(m):
        at = np.searchsorted(vocab, right[t])
        b[t] = at if at < nv and vocab[at] == right[t] else nv
    empty = np.empty((0, 3), np.int64)
    found, diagonal = best_diagonal(a, b, min_block, powers, cap)
    if not found:
        whole = lcs_runs(a, 0, n, b, 0, m, min_block)
        if len(whole) == 0:
            return empty
        k = _longest(whole)
        diagonal = whole[k, 1] - whole[k, 0]
    lo = max(0, diagonal - slack)
    hi = min(m, diagonal + n + slack)
    near = lcs_runs(a, 0, n, b, lo, max(lo, hi), min_block)
    if len(near) == 0:
        return empty
    k = _longest(near)
    # _extend: grow the run along its diagonal, then cut it back to tokens identical as written
    shift = near[k, 1] - near[k, 0]
    block_a, block_size = near[k, 0], near[k, 2]
    start, end = block_a, block_a + block_size
    while start > 0 and start - 1 + shift >= lo and a[start - 1] == b[start - 1 + shift]:
        start -= 1
    while end < n and end + shift < hi and a[end] == b[end + shift]:
        end += 1
    floor = min(block_a + edge_trim, block_a + block_size - 1)
    while start < floor and not _same_token(start, start + shift, n, raw_a, raw_b, kinds_a, a_cp, a_starts, a_ends,
                                            b_cp, b_starts, b_ends):
        start += 1
    ceiling = max(block_a + block_size - edge_trim, start + 1)
    while end > ceiling and not _same_token(end - 1, end - 1 + shift, n, raw_a, raw_b, kinds_a, a_cp, a_starts,
                                            a_ends, b_cp, b_starts, b_ends):
        end -= 1
    anchor_a, anchor_b, anchor_size = start, start + shift, end - start
    end_a, end_b = anchor_a + anchor_size, anchor_b + anchor_size
    before = lcs_runs(a, 0, anchor_a, b, lo, max(lo, anchor_b), min_block)
    after = lcs_runs(a, end_a, n, b, end_b, max(end_b, hi), min_block)
    chain = np.empty((len(before) + 1 + len(after), 3), np.int64)
    chain[:len(before)] = before
    chain[len(before), 0], chain[len(before), 1], chain[len(before), 2] = anchor_a, anchor_b, anchor_size
    chain[len(before) + 1:] = after
    # _main_chain: the blocks joined to the longest one by gaps of at most max_gap on both sides
    first = last = _longest(chain)
    while first > 0 and (chain[first, 0] - (chain[first - 1, 0] + chain[first - 1, 2]) <= max_gap
                         and chain[first, 1] - (chain[first - 1, 1] + chain[first - 1, 2]) <= max_gap):
        first -= 1
    while last + 1 < len(chain) and (chain[last + 1, 0] - (chain[last, 0] + chain[last, 2]) <= max_gap
                                     and chain[last + 1, 1] - (chain[last, 1] + chain[last, 2]) <= max_gap):
        last += 1
    return chain[first:last + 1].copy()


@numba.njit(cache=True, nogil=True)
def block_stats(blocks, n, raw_a, raw_b, kinds_a, named_kind, informative, a_cp, a_starts, a_ends, b_cp, b_starts,
                b_ends):
    """:func:`auditor.matching.verify._block_stats` of the (k, 3) ``blocks``: (fit, score, per
    aligned token identical flags, coverage, identity, exact share, aligned, evidence)."""
    aligned = 0
    for t in range(len(blocks)):
        aligned += blocks[t, 2]
    same = np.empty(aligned, np.bool_)
    named = identical = identical_named = evidence = 0
    pos = 0
    for t in range(len(blocks)):
        for d in range(blocks[t, 2]):
            i, j = blocks[t, 0] + d, blocks[t, 1] + d
            s = raw_a[i] == raw_b[j]
            if not s and (pos == 0 or pos == aligned - 1):  # a first or last token cut mid-word
                s = _same_token(i, j, n, raw_a, raw_b, kinds_a, a_cp, a_starts, a_ends, b_cp, b_starts, b_ends)
            same[pos] = s
            if named_kind[kinds_a[i]]:
                named += 1
                if s:
                    identical_named += 1
            if s:
                identical += 1
            if informative[i]:
                evidence += 1
            pos += 1
    identity = identical_named / named if named else 1.0
    weighted = identical + 0.5 * (aligned - identical)
    last = len(blocks) - 1
    source_span = blocks[last, 1] + blocks[last, 2] - blocks[0, 1]
    return (weighted / n, weighted / max(n, source_span), same, aligned / n, identity, identical / aligned, aligned,
            evidence)
