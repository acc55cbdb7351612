"""Vectorised MinHash over shingles of normalised tokens, one signature per window.

Signatures are bit-for-bit those of ``datasketch.MinHash(num_perm, seed,
hashfunc=shingle_hash_bytes, scheme="affine32")`` fed with :func:`shingle_bytes` of
each shingle; ``tests/test_fingerprint.py`` proves it. datasketch itself is not
imported here: it pulls in scipy, which a cold query cannot afford.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
import xxhash

from ..config import FingerprintConfig
from .mode import compiled_in_use

_SEP = b"\x1f"
_U64 = np.uint64
# Odd multipliers that position each token of a shingle (from splitmix64's constants).
_POSITION_MULT = np.array(
    [0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93,
     0xA0761D6478BD642F, 0xE7037ED1A0B428DB, 0x8EBC6AF09C88C6E3, 0x589965CC75374CC3,
     0x1D8E4E27C47D124F, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
    dtype=_U64,
)
MAX_SHINGLE = len(_POSITION_MULT)


def _fmix64(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> _U64(33))
    x = x * _U64(0xFF51AFD7ED558CCD)
    x = x ^ (x >> _U64(33))
    x = x * _U64(0xC4CEB9FE1A85EC53)
    return x ^ (x >> _U64(33))


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser: datasketch's pre-mix for the affine32 scheme."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


@lru_cache(maxsize=1 << 16)
def token_hash(token: str) -> int:
    return xxhash.xxh64_intdigest(token.encode("utf-8", "surrogatepass"))


def token_hashes(tokens: Sequence[str]) -> np.ndarray:
    """:func:`token_hash` of each token, as uint64."""
    return np.fromiter((token_hash(t) for t in tokens), dtype=_U64, count=len(tokens))


def shingle_hashes(norm_tokens: Sequence[str] | np.ndarray, k: int) -> np.ndarray:
    """32-bit hash of every run of ``k`` consecutive tokens (one run when there are fewer).
    ``norm_tokens``: the normalised tokens, or their :func:`token_hash` values
    (``Tokens.norm_hashes``)."""
    if k > MAX_SHINGLE:
        raise ValueError(f"shingle size {k} exceeds {MAX_SHINGLE}")
    th = norm_tokens.astype(_U64, copy=False) if isinstance(norm_tokens, np.ndarray) else token_hashes(norm_tokens)
    n = len(th) - k + 1
    if n <= 0:
        # Too short for one full shingle: the whole token run is the only shingle.
        if len(th) == 0:
            return np.empty(0, dtype=np.uint32)
        n, k = 1, len(th)
    with np.errstate(over="ignore"):
        acc = np.zeros(n, dtype=_U64)
        for j in range(k):
            acc += th[j:j + n] * _POSITION_MULT[j]
        return (_fmix64(acc) >> _U64(32)).astype(np.uint32)


def shingle_bytes(tokens: Sequence[str]) -> bytes:
    """The value to give ``datasketch.MinHash.update`` for one shingle."""
    return _SEP.join(t.encode("utf-8", "surrogatepass") for t in tokens)


def shingle_hash_bytes(value: bytes) -> int:
    """The hashfunc to give datasketch: the same 32-bit hash as :func:`shingle_hashes`."""
    parts = value.split(_SEP)
    acc = 0
    for j, p in enumerate(parts):
        acc = (acc + xxhash.xxh64_intdigest(p) * int(_POSITION_MULT[j])) & 0xFFFFFFFFFFFFFFFF
    return int(_fmix64(np.array([acc], dtype=_U64))[0] >> _U64(32))


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a odd, b) for this seed."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def permuted(hashes: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """(n_shingles, num_perm) permuted hash values."""
    a, b = permutations(num_perm, seed)
    with np.errstate(over="ignore"):
        return _fmix32(hashes.astype(np.uint32))[:, None] * a[None, :] + b[None, :]


def window_signatures(hashes: np.ndarray, cfg: FingerprintConfig, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MinHash of every window of shingles.

    Shingles are grouped in blocks of ``stride``; window ``w`` is the union of blocks
    ``w .. w + window/stride - 1`` (the last block may be short, so every shingle is
    covered). Minima are computed once per block and combined, so overlap costs
    nothing extra. Returns ``(signatures (n_windows, num_perm) uint32, first shingle
    of each window)``.
    """
    stride = stride or cfg.stride
    window = cfg.window
    if window % stride:
        raise ValueError(f"window {window} is not a multiple of stride {stride}")
    n = len(hashes)
    if n == 0:
        return np.empty((0, cfg.num_perm), dtype=np.uint32), np.empty(0, dtype=np.int64)
    if n <= window:
        return permuted(hashes, cfg.num_perm, cfg.seed).min(axis=0, keepdims=True), np.zeros(1, dtype=np.int64)
    per = window // stride
    blocks = _block_minima(hashes, cfg, stride)
    n_windows = len(blocks) - per + 1
    sig = blocks[:n_windows].copy()
    for j in range(1, per):
        np.minimum(sig, blocks[j: n_windows + j], out=sig)
    return sig, np.arange(n_windows, dtype=np.int64) * stride


def _block_minima(hashes: np.ndarray, cfg: FingerprintConfig, stride: int) -> np.ndarray:
    """MinHash of each block of ``stride`` shingles: compiled (:func:`.lexer.block_minhash`) when
    the compiled kernels are in use, else numpy (the same values, bit for bit)."""
    if compiled_in_use():
        from .lexer import block_minhash

        a, b = permutations(cfg.num_perm, cfg.seed)
        return block_minhash(hashes.astype(np.uint32, copy=False), a, b, stride)
    return np.minimum.reduceat(permuted(hashes, cfg.num_perm, cfg.seed), np.arange(0, len(hashes), stride), axis=0)


def band_key(columns: np.ndarray, band: int) -> np.ndarray:
    """(n,) uint64 key of band ``band`` from that band's signature columns, ``(n, rows)`` in order
    (``signatures[:, band * rows:(band + 1) * rows]``). One band on its own, so a sharded build can
    reduce each band table separately; :func:`band_keys` is this for every band."""
    n, rows = columns.shape
    with np.errstate(over="ignore"):
        acc = np.full(n, _U64(band + 1) * _POSITION_MULT[0], dtype=_U64)
        for r in range(rows):
            acc = (acc ^ columns[:, r].astype(_U64)) * _POSITION_MULT[(r + 1) % MAX_SHINGLE]
        return _fmix64(acc)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(bands, n) uint64 key of each band of each signature; equal bands give equal keys:
    :func:`band_key` of every band, computed for all bands at once (a query's few windows
    would otherwise pay numpy's per-call overhead 28 bands times over)."""
    n = signatures.shape[0]
    # (bands, rows, n): band b's row r is signature column b * rows + r
    columns = signatures[:, :bands * rows].T.reshape(bands, rows, n).astype(_U64)
    with np.errstate(over="ignore"):
        acc = np.repeat((np.arange(1, bands + 1, dtype=_U64) * _POSITION_MULT[0])[:, None], n, axis=1)
        for r in range(rows):
            acc = (acc ^ columns[:, r]) * _POSITION_MULT[(r + 1) % MAX_SHINGLE]
        return _fmix64(acc)
