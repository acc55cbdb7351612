"""Compiled (numba) versions of the numpy steps of an LSH lookup, used with the compiled lexer
(:func:`auditor.fingerprint.mode.compiled_in_use`) and giving the same results:

- :func:`band_postings`: the indexed windows sharing a band key with each query window, one
  binary search per key;
- :func:`signature_agreement`: the share of equal MinHash values of each colliding (indexed
  window, query window) pair, without gathering thousands of 512-byte signature rows into
  temporary arrays first;
- :func:`group_by_blob`: the colliding windows grouped by blob, with their best.

``tests/test_lexer.py`` checks them against the numpy versions. The alignment's kernels are in
:mod:`auditor.matching.align_kernel`.
"""
from __future__ import annotations

import numba
import numpy as np


_AHEAD = 16  # signature_agreement: how many pairs ahead a row is first read


@numba.njit(cache=True, nogil=True)
def signature_agreement(signatures, window_ids, query_signatures, query_ids):
    """``(signatures[window_ids] == query_signatures[query_ids]).mean(axis=1)``."""
    n, num_perm = len(window_ids), signatures.shape[1]
    out = np.empty(n, np.float64)
    # The rows are read at random from a table of ~500 bytes per indexed window, most of the time
    # waiting on memory: reading a word of the row needed 16 pairs ahead starts that wait early
    # (measured: a sixth less time at 1.1M windows).
    touched = np.uint32(0)
    for p in range(n):
        if p + _AHEAD < n:
            touched ^= signatures[window_ids[p + _AHEAD], 0]
        w, q = window_ids[p], query_ids[p]
        same = 0
        for k in range(num_perm):
            if signatures[w, k] == query_signatures[q, k]:
                same += 1
        out[p] = same / num_perm
    if touched == np.uint32(0xFFFFFFFF) and n:  # uses the reads, so that they are not left out
        out[0] += 0.0
    return out


@numba.njit(cache=True, nogil=True)
def group_by_blob(blobs, wins, conts):
    """The colliding windows grouped by blob, as :meth:`auditor.index.reader.Index.candidates`
    groups them with numpy: (blob, best containment, best window, group start, group end) per
    blob in ascending blob order, and every window id sorted by (blob, window). A blob's best
    window has the highest containment, the highest window id among equals (the numpy version's
    three-key lexsort, done here with one sort by blob and a pass)."""
    n = len(blobs)
    # The order within a blob does not matter: its windows are sorted below. Windows are numbered
    # blob by blob, so pairs that come in window order (all but a capped query's) are in blob
    # order already and need no sort.
    in_order = True
    for i in range(1, n):
        if blobs[i] < blobs[i - 1]:
            in_order = False
            break
    order = np.arange(n) if in_order else np.argsort(blobs)
    ascending = wins[order]
    group_blob = np.empty(n, np.int64)
    best = np.empty(n, np.float64)
    best_win = np.empty(n, np.int64)
    start = np.empty(n, np.int64)
    end = np.empty(n, np.int64)
    g = -1
    for i in range(n):
        k = order[i]
        if g < 0 or blobs[k] != group_blob[g]:
            g += 1
            group_blob[g], best[g], best_win[g], start[g] = blobs[k], conts[k], wins[k], i
        elif conts[k] > best[g] or (conts[k] == best[g] and wins[k] > best_win[g]):
            best[g], best_win[g] = conts[k], wins[k]
        end[g] = i + 1
    g += 1
    for k in range(g):
        for i in range(start[k] + 1, end[k]):
            if ascending[i] < ascending[i - 1]:
                ascending[start[k]:end[k]] = np.sort(ascending[start[k]:end[k]])
                break
    return group_blob[:g], best[:g], best_win[:g], start[:g], end[:g], ascending


@numba.njit(cache=True, nogil=True)
def band_postings(band_keys, band_windows, query_keys, max_postings):
    """``window id * n_queries + query window`` of every indexed window that shares a band key
    with a query window, skipping keys held by more than ``max_postings`` windows:
    :meth:`auditor.index.reader.Index._postings` with one binary search per key (the run of
    equal keys is walked instead of searched for its end)."""
    bands, n_queries = query_keys.shape
    n = band_keys.shape[1]
    first = np.zeros((bands, n_queries), np.int64)
    count = np.zeros((bands, n_queries), np.int64)
    total = 0
    for b in range(bands):
        keys = band_keys[b]
        for q in range(n_queries):
            key = query_keys[b, q]
            i = np.searchsorted(keys, key)
            j = i
            while j < n and keys[j] == key and j - i <= max_postings:
                j += 1
            if 0 < j - i <= max_postings:
                first[b, q] = i
                count[b, q] = j - i
                total += j - i
    out = np.empty(total, np.int64)
    t = 0
    for b in range(bands):
        for q in range(n_queries):
            for p in range(first[b, q], first[b, q] + count[b, q]):
                out[t] = np.int64(band_windows[b, p]) * n_queries + q
                t += 1
    return out


def warm_up() -> None:
    """Load the trace's compiled kernels now (as :func:`auditor.fingerprint.mode.warm_up` loads
    the lexer's), on a few tokens: a benchmark that measures what a trace adds to a process
    then sees the index's share, not the machine code's."""
    from ..config import VerifyConfig
    from ..fingerprint.tokens import tokenize
    from .verify import align

    text = "def f(a, b):\n    return a + b * 2 - g(a)\n" * 4
    toks = tokenize(text, "Python")
    align(toks, text, text, (0, -1), "Python", True, False, VerifyConfig(), None)
    keys = np.zeros((1, 1), np.uint64)
    band_postings(keys, np.zeros((1, 1), np.uint32), keys, 1)
    signature_agreement(np.zeros((1, 1), np.uint32), np.zeros(1, np.int64), np.zeros((1, 1), np.uint32),
                        np.zeros(1, np.int64))
    group_by_blob(np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.float64))
