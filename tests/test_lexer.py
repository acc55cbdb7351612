"""The compiled kernels (auditor/fingerprint/lexer.py) against their specifications: the
regular-expression tokeniser (``tokenize_reference``), xxhash's xxh64 and numpy's MinHash.
Every field of every token must agree, on real code of every lexical family and on generated
text full of the constructs where the two could part (unclosed strings and comments, a
backslash at the end, string prefixes, Unicode digits, spaces and case)."""
from __future__ import annotations

import random
import sysconfig
from pathlib import Path

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest
import xxhash

from auditor.config import FingerprintConfig
from auditor.fingerprint import mode
from auditor.fingerprint.lexer import block_minhash, xxh64
from auditor.fingerprint.minhash import permutations, permuted, shingle_hashes, window_signatures
from auditor.fingerprint.tokens import tokenize, tokenize_reference

# one language of each lexical family, and None (C-like, guessed)
LANGUAGES = ["Python", "C", "Shell", "SQL", None, "JavaScript", "Perl"]
FLAGS = [(True, False), (True, True), (False, False), (False, True)]


pytestmark = pytest.mark.usefixtures("compiled_kernels")  # tests/conftest.py


def _same(text: str, language, ident: bool, literal: bool) -> None:
    ref = tokenize_reference(text, language, normalize_identifiers=ident, normalize_literals=literal)
    got = tokenize(text, language, normalize_identifiers=ident, normalize_literals=literal)
    where = f"{language!r} ident={ident} literal={literal} on {text[:60]!r}"
    assert got.raw == ref.raw, where
    assert got.norm == ref.norm, where
    assert np.array_equal(got.kinds, ref.kinds), where
    assert np.array_equal(got.starts, ref.starts) and np.array_equal(got.ends, ref.ends), where
    assert np.array_equal(got.raw_hashes, ref.raw_hashes), where
    assert np.array_equal(got.norm_hashes, ref.norm_hashes), where


def _real_files() -> list[str]:
    """Source files of this environment: the standard library's Python and every C, header,
    JavaScript, shell and SQL file installed, sampled with a fixed seed."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    site = Path(sysconfig.get_paths()["purelib"])
    paths = sorted(stdlib.glob("*.py"))
    for pattern in ("*.c", "*.h", "*.js", "*.sh", "*.sql", "*.pyx", "*.lua"):
        paths += sorted(site.rglob(pattern))[:200]
    random.Random(0).shuffle(paths)
    texts = []
    for p in paths[:120]:
        try:
            texts.append(p.read_bytes().decode("utf-8", "surrogateescape"))
        except OSError:
            continue
    return texts


REAL = _real_files()


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_lexer_gives_the_reference_tokens_on_real_code(language):
    """Each file is read in every family, so a C file's text goes through the Python, shell and
    SQL rules too: that is where strings, comments and numbers meet in unexpected ways."""
    assert len(REAL) >= 60
    for text in REAL:
        for ident, literal in FLAGS[:2]:
            _same(text, language, ident, literal)
    # the other flags, and windows cut mid-token, on a few
    for text in REAL[:20]:
        for ident, literal in FLAGS[2:]:
            _same(text, language, ident, literal)
        _same(text[137:2900], language, True, False)


CORNERS = st.sampled_from([
    '"', "'", "`", '"""', "'''", "/*", "*/", "//", "#", "--", "{-", "-}", "${", "#{", "{", "}", "$", "\\",
    "\\\n", "\n", "\t", " ", "\u00a0", "\u2028", "\u3000", "f'", 'rb"', "Br'", "u'''", "fr", "bb'", "0x", "0X1f",
    "0x_", "1e", "1e+5", "1.5E-3", ".5", "1_000", "9.", "12L", "0xFFuL", "\u0663", "\u0661\u0662", "\u00b2",
    "\u212a", "\u0130", "\u00df", "END", "Select", "IF", "if", "None", "def", "return", "x", "_y", "\u00e9t\u00e9",
    "\u6587\u5b57", "\ud83d\ude00", "\udc80", "\x00", "\x0c", "\r\n", ";", "(", ")", ".", "@", "~", "''", '""'])
GENERATED = st.lists(st.one_of(CORNERS, st.text(max_size=6)), max_size=30).map("".join)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(GENERATED, st.sampled_from(LANGUAGES), st.sampled_from(FLAGS))
def test_compiled_lexer_gives_the_reference_tokens_on_generated_text(text, language, flags):
    _same(text, language, *flags)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=200))
def test_xxh64_is_xxhash(data):
    assert xxh64(np.frombuffer(data, dtype=np.uint8), 0, len(data)) == xxhash.xxh64_intdigest(data)


def test_xxh64_of_a_slice():
    data = bytes(range(256)) * 3
    buf = np.frombuffer(data, dtype=np.uint8)
    for a, b in ((0, 0), (3, 40), (5, 700), (100, 131)):
        assert xxh64(buf, a, b) == xxhash.xxh64_intdigest(data[a:b])


@pytest.mark.parametrize("stride", [1, 5, 8, 16])
def test_block_minhash_is_numpys(stride):
    rng = np.random.default_rng(stride)
    a, b = permutations(128, 1)
    for n in (1, stride, stride + 1, 1000):
        hashes = rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32)
        want = np.minimum.reduceat(permuted(hashes, 128, 1), np.arange(0, n, stride), axis=0)
        assert np.array_equal(block_minhash(hashes, a, b, stride), want)


def test_signatures_are_the_same_with_and_without_the_kernels():
    cfg = FingerprintConfig()
    hashes = [shingle_hashes(tokenize(text, "Python").norm_hashes, cfg.shingle) for text in REAL[:30]]
    mode.use_compiled(False)
    python_only = [window_signatures(h, cfg, stride=s) for h in hashes for s in (cfg.stride, cfg.query_stride)]
    mode.use_compiled(True)
    compiled = [window_signatures(h, cfg, stride=s) for h in hashes for s in (cfg.stride, cfg.query_stride)]
    for (s1, f1), (s2, f2) in zip(python_only, compiled):
        assert np.array_equal(s1, s2) and np.array_equal(f1, f2)


@pytest.mark.parametrize("compiled", [True, False])
def test_shared_raw_tokens_counts_distinct_tokens_as_written(compiled):
    """Re-ranking's count, with and without the compiled lexer: the distinct tokens of the
    snippet that each window holds as written, each window lexed in its own family."""
    from auditor.fingerprint.overlap import shared_raw_tokens

    snippet = tokenize(REAL[0][:3000], "Python")
    wanted = np.unique(snippet.raw_hashes)
    windows = [REAL[0][:3000], REAL[0][1000:2500], REAL[1][:2000], "", "x = 1 # " + REAL[0][:500], REAL[2][:900]]
    languages = ["Python", "Python", "C", None, "Shell", "SQL"]
    want = [len(set(wanted.tolist()) & set(tokenize_reference(w, lang).raw_hashes.tolist()))
            for w, lang in zip(windows, languages)]
    mode.use_compiled(compiled)
    got = shared_raw_tokens(wanted, windows, languages).tolist()
    assert got == want and got[0] == len(wanted) and got[3] == 0


def test_compiled_best_diagonal_and_signature_agreement_are_numpys():
    """The two trace kernels of auditor/matching/kernels.py give numpy's answers: the k-gram
    vote on real token ids (a copy inside a longer file, and unrelated code), and the share of
    equal MinHash values of colliding signature pairs."""
    from auditor.matching import verify

    def both(left, right, k):
        mode.use_compiled(False)
        want = verify.best_diagonal(left, right, k)
        mode.use_compiled(True)
        return want, verify.best_diagonal(left, right, k)

    rng = np.random.default_rng(0)
    for text in REAL[:25]:
        src = tokenize(text, "Python")
        if len(src) < 300:
            continue
        a, b = verify._ids(src.norm_hashes[100:260], src.norm_hashes)
        want, got = both(a, b, 5)
        assert want == got == 100
        other = tokenize(REAL[-1], "Python")
        a, b = verify._ids(other.norm_hashes[:200], src.norm_hashes)
        for k in (3, 5, 12):
            want, got = both(a, b, k)
            assert want == got
    assert both(np.arange(3), np.arange(10), 5) == (None, None)
    sigs = rng.integers(0, 4, (500, 128), dtype=np.uint64).astype(np.uint32)
    query = rng.integers(0, 4, (7, 128), dtype=np.uint64).astype(np.uint32)
    w, q = rng.integers(0, 500, 3000), rng.integers(0, 7, 3000)
    from auditor.matching.kernels import signature_agreement

    assert np.array_equal(signature_agreement(sigs, w, query, q), (sigs[w] == query[q]).mean(axis=1))


def test_compiled_grouping_of_colliding_windows_is_numpys():
    """The LSH candidates' grouping by blob (best containment, best window on ties, windows in
    ascending order) with and without the compiled kernel, on collisions with many ties."""
    from auditor.index.reader import _group_by_blob

    rng = np.random.default_rng(3)
    for n in (1, 5, 300, 4000):
        blobs = rng.integers(0, max(1, n // 8), n).astype(np.int64)
        wins = rng.integers(0, 50_000, n).astype(np.int64)
        conts = rng.integers(0, 6, n) / 5.0  # few distinct values: ties everywhere
        mode.use_compiled(False)
        want = _group_by_blob(blobs, wins, conts)
        mode.use_compiled(True)
        got = _group_by_blob(blobs, wins, conts)
        for a, b in zip(want, got):
            assert np.array_equal(a, b)


def test_compiled_band_postings_are_numpys(tmp_path):
    """The LSH postings of query windows from a real index, with and without the kernel."""
    from auditor import api
    from auditor.config import IndexConfig
    from auditor.fingerprint.minhash import band_keys

    src = tmp_path / "src"
    src.mkdir()
    for k, text in enumerate(REAL[:12]):
        (src / f"f{k}.py").write_text(text, encoding="utf-8", errors="surrogateescape")
    api.build_index([str(src)], tmp_path / "idx", workers=1, show_progress=False, scan_headers=False)
    index = api.open_index(tmp_path / "idx", show_progress=False)
    cfg = IndexConfig().fingerprint
    lsh = index.config.lsh
    found = 0
    for text in REAL[:12] + REAL[-5:]:
        sigs, _ = window_signatures(shingle_hashes(tokenize(text[:3000], "Python").norm_hashes, cfg.shingle), cfg,
                                    stride=cfg.query_stride)
        keys = band_keys(sigs, lsh.bands, lsh.rows)
        mode.use_compiled(False)
        want = np.sort(np.concatenate(index._postings(keys, len(sigs)) or [np.empty(0, np.int64)]))
        mode.use_compiled(True)
        got = np.sort(np.concatenate(index._postings(keys, len(sigs)) or [np.empty(0, np.int64)]))
        assert np.array_equal(want, got)
        found += len(got)
    assert found > 100  # the indexed files find themselves
