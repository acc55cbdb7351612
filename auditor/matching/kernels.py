"""Compiled (numba) versions of two numpy steps of a trace, used with the compiled lexer
(:func:`auditor.fingerprint.tokens.compiled_in_use`) and giving the same results:

- :func:`signature_agreement`: the share of equal MinHash values of each colliding (indexed
  window, query window) pair, without gathering thousands of 512-byte signature rows into
  temporary arrays first;
- :func:`best_diagonal`: :func:`auditor.matching.verify.best_diagonal`'s k-gram vote in one
  pass, instead of a dozen small numpy calls whose overhead dominated on short regions.

``tests/test_lexer.py`` checks both against the numpy versions.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def signature_agreement(signatures, window_ids, query_signatures, query_ids):
    """``(signatures[window_ids] == query_signatures[query_ids]).mean(axis=1)``."""
    n, num_perm = len(window_ids), signatures.shape[1]
    out = np.empty(n, np.float64)
    for p in range(n):
        w, q = window_ids[p], query_ids[p]
        same = 0
        for k in range(num_perm):
            if signatures[w, k] == query_signatures[q, k]:
                same += 1
        out[p] = same / num_perm
    return out


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
    diagonals = np.empty(len(hr) * cap, np.int64)
    m = 0
    for r in range(len(hr)):
        lo = np.searchsorted(sorted_l, hr[r], side="left")
        hi = np.searchsorted(sorted_l, hr[r], side="right")
        for t in range(lo, min(hi, lo + cap)):
            diagonals[m] = r - order[t]
            m += 1
    if m == 0:
        return False, 0
    votes = np.sort(diagonals[:m])
    best, best_votes = votes[0], 0
    run_start = 0
    for i in range(1, m + 1):
        if i == m or votes[i] != votes[run_start]:
            if i - run_start > best_votes:
                best, best_votes = votes[run_start], i - run_start
            run_start = i
    return True, best
