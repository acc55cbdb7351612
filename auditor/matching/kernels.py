"""Compiled (numba) versions of two numpy steps of a trace, used with the compiled lexer
(:func:`auditor.fingerprint.mode.compiled_in_use`) and giving the same results:

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
