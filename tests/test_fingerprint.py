"""Tokenising and MinHash: signatures are datasketch's, bit for bit, on real code."""
from __future__ import annotations

import inspect
import json.decoder
import textwrap

import numpy as np
import pytest

from auditor.config import FingerprintConfig, IndexConfig, LSHConfig, optimal_bands
from auditor.errors import AuditorError
from auditor.fingerprint import guess_language, shingle_hashes, tokenize, window_signatures
from auditor.fingerprint.minhash import band_keys, shingle_bytes, shingle_hash_bytes

from conftest import STDLIB

datasketch = pytest.importorskip("datasketch")


def _reference_signature(norm, start, stop, cfg):
    m = datasketch.MinHash(num_perm=cfg.num_perm, seed=cfg.seed, hashfunc=shingle_hash_bytes, scheme="affine32")
    for j in range(start, stop):
        m.update(shingle_bytes(norm[j: j + cfg.shingle]))
    return m.hashvalues


@pytest.mark.parametrize("cfg", [FingerprintConfig(), FingerprintConfig(shingle=3, window=48, stride=16, num_perm=64, seed=7)])
def test_window_signatures_equal_datasketch(cfg):
    text = (STDLIB / "argparse.py").read_text("utf-8")
    toks = tokenize(text, "Python")
    hashes = shingle_hashes(toks.norm, cfg.shingle)
    sigs, first = window_signatures(hashes, cfg)
    assert len(sigs) > 50
    for w in (0, 1, len(sigs) // 2, len(sigs) - 1):
        stop = min(first[w] + cfg.window, len(hashes))
        ref = _reference_signature(toks.norm, first[w], stop, cfg)
        assert ref.dtype == np.uint32
        assert np.array_equal(ref, sigs[w]), f"window {w} differs from datasketch"


def test_shingle_hash_matches_bytes_hashfunc():
    toks = tokenize(inspect.getsource(json.decoder), "Python").norm
    hashes = shingle_hashes(toks, 5)
    for j in (0, 17, len(hashes) - 1):
        assert int(hashes[j]) == shingle_hash_bytes(shingle_bytes(toks[j: j + 5]))


def test_short_text_is_one_window_covering_every_shingle():
    cfg = FingerprintConfig()
    toks = tokenize("def f(a, b):\n    return a + b\n", "Python")
    sigs, first = window_signatures(shingle_hashes(toks.norm, cfg.shingle), cfg)
    assert sigs.shape == (1, cfg.num_perm) and first.tolist() == [0]


def test_every_shingle_is_in_some_window():
    cfg = FingerprintConfig(window=64, stride=32)
    n = 1000
    sigs, first = window_signatures(np.arange(n, dtype=np.uint32), cfg)
    covered = np.zeros(n, bool)
    for f in first:
        covered[f: f + cfg.window] = True
    assert covered.all()


def test_comments_and_layout_do_not_change_tokens():
    src = inspect.getsource(json.decoder.JSONArray)  # no docstring: a comment added inside one is text
    assert '"""' not in src
    reformatted = "\n".join(line.strip() + "  # note" for line in src.splitlines())
    a = tokenize(src, "Python")
    b = tokenize(textwrap.dedent(reformatted), "Python")
    assert a.raw == b.raw


def test_renamed_identifiers_normalise_equal_but_raw_differs():
    c_code = "static int add(int a, int b) { /* sum */ return a + b; } // done"
    renamed = "static int plus(int x, int y) { return x + y; }"
    a, b = tokenize(c_code, "C"), tokenize(renamed, "C")
    assert a.norm == b.norm and a.raw != b.raw
    assert "return" in a.norm and "I" in a.norm


def test_keywords_that_are_names_elsewhere_are_normalised():
    # 'end' and 'type' are names in Python and Java: renaming them must not change the stream.
    assert tokenize("end = type(x)", "Python").norm == tokenize("stop = kind(x)", "Python").norm


def test_names_inside_interpolated_strings_are_normalised_like_names():
    # A renamed copy renames the names inside f-strings and templates too; plain strings keep
    # their text, and a renamed f-string still differs in raw tokens.
    py = 'sys.exit(f"Could not build the {program} program: {err!r}")'
    renamed = 'sys.exit(f"Could not build the {result} program: {right!r}")'
    a, b = (tokenize(t, "Python", normalize_literals=False) for t in (py, renamed))
    assert a.norm == b.norm and a.raw != b.raw
    assert tokenize('x = "{program}"', "Python", normalize_literals=False).norm[-1] == '"{program}"'
    assert tokenize('x = "{a}"', "Python", normalize_literals=False).norm != tokenize('x = "{b}"', "Python", normalize_literals=False).norm
    js = "const msg = `${user.name} has ${count} items`;"
    assert tokenize(js, "JavaScript", normalize_literals=False).norm == tokenize(
        "const m = `${who.name} has ${n} items`;", "JavaScript", normalize_literals=False).norm
    sh = 'echo "$HOME/${dir}"'
    assert tokenize(sh, "Shell", normalize_literals=False).norm == tokenize('echo "$H/${d}"', "Shell", normalize_literals=False).norm
    assert tokenize(py, "Python", normalize_identifiers=False, normalize_literals=False).norm == tokenize(
        py, "Python", normalize_identifiers=False, normalize_literals=False).raw


def test_token_lines():
    text = "a = 1\n\nb = 'x'\n"
    toks = tokenize(text, "Python")
    assert toks.lines(text).tolist() == [1, 1, 1, 3, 3, 3]


def test_guess_language():
    assert guess_language(inspect.getsource(json.decoder)) == "Python"
    assert guess_language("int main(void) {\n  return 0;\n}\n") is None


def test_optimal_bands_agree_with_datasketch():
    from datasketch.lsh import _optimal_param

    for t, p in ((0.3, 128), (0.5, 128), (0.2, 64), (0.8, 256)):
        assert optimal_bands(t, p) == _optimal_param(t, p, 0.5, 0.5)


def test_band_keys_equal_only_for_equal_bands():
    sig = np.random.RandomState(0).randint(0, 2**32, (3, 8), dtype=np.uint64).astype(np.uint32)
    sig[1, :4] = sig[0, :4]
    keys = band_keys(sig, 2, 4)
    assert keys[0, 0] == keys[0, 1] and keys[1, 0] != keys[1, 1] and keys[0, 0] != keys[0, 2]


def test_config_validates_with_actionable_messages():
    with pytest.raises(AuditorError, match="did you mean num_perm"):
        LSHConfig(threshold=0.5, num_perm=16, bands=8, rows=4)
    with pytest.raises(AuditorError, match="multiple of stride"):
        FingerprintConfig(window=64, stride=24)
    with pytest.raises(AuditorError):
        LSHConfig(threshold=1.5)
    cfg = IndexConfig()
    assert IndexConfig.from_dict(cfg.to_dict()).tag == cfg.tag
    other = IndexConfig(FingerprintConfig(window=64, stride=32))
    assert other.tag != cfg.tag


@pytest.mark.parametrize("language", ["Python", "JavaScript", "Shell", "SQL"])
def test_raw_token_set_is_the_tokenisers_raw_tokens(language):
    """Re-ranking reads the distinct raw tokens of hundreds of windows through a lean scanner:
    it must give exactly the tokeniser's raw tokens, on real code of every lexical family
    (read in each family, so comments and strings differ), whole files and cut windows alike."""
    from auditor.fingerprint.tokens import raw_token_set

    texts = [p.read_text("utf-8") for p in sorted((STDLIB / "json").glob("*.py"))]
    texts += [(STDLIB / name).read_text("utf-8") for name in ("shlex.py", "sqlite3/dump.py", "textwrap.py")]
    for text in texts:
        for piece in (text, text[137:1900], text[len(text) // 2:]):
            assert raw_token_set(piece, language) == set(tokenize(piece, language).raw)


def test_blob_text_prefix_holds_its_characters(tmp_path):
    """A window's text is read from a prefix of the blob's UTF-8 bytes: the prefix holds at
    least the characters asked for, multi-byte characters included."""
    from auditor import api
    from auditor.index.reader import Index

    src = tmp_path / "src"
    src.mkdir()
    text = (STDLIB / "textwrap.py").read_text("utf-8")
    wide = "".join(f"# ünïcödé — 漢字 {i} 🙂\n{line}\n" for i, line in enumerate(text.splitlines()))
    (src / "wide.py").write_text(wide, "utf-8")
    out = tmp_path / "idx"
    api.build_index([str(src)], out, workers=1, show_progress=False)
    ix = Index(out)
    full = ix.blob_text(0)
    assert full == wide
    for chars in (1, 17, 500, len(wide) // 3, len(wide), len(wide) + 50):
        prefix = ix.blob_text(0, chars)
        assert prefix[:chars] == wide[:chars]


def test_signatures_and_band_keys_are_pinned():
    """Every index on disk (and in Redis) holds these values: a change to the tokeniser, the
    MinHash or the band-key formula must come with a new config tag, not silently. Pinned on
    the shipped copy of six.py (the golden corpus), as computed before the sharded build
    split ``band_keys`` into per-band ``band_key``."""
    import hashlib
    from pathlib import Path

    from auditor.index.builder import fingerprint

    cfg = IndexConfig()
    text = (Path(__file__).parent / "data" / "golden" / "corpus" / "six-1.16.0" / "six.py").read_text("utf-8")
    sig, _, _ = fingerprint(text, "Python", cfg)
    assert cfg.tag == "t2_5ng_128p_s1_w32s16_ni_28b2r" and sig.shape == (294, 128)
    assert hashlib.sha256(sig.tobytes()).hexdigest() == "15079103a4a4c98ebc083e855c89f6f5eddcbf18ea71fc3b6db4e78c6a74c817"
    keys = band_keys(sig, cfg.lsh.bands, cfg.lsh.rows)
    assert hashlib.sha256(keys.tobytes()).hexdigest() == "a52129f01ce803fee9458f718f310d5b502af9ec6740cbfa8f828eb5a3f0b19b"


@pytest.mark.parametrize("field", ["candidates", "give_up", "lsh_candidates"])
def test_verify_counts_below_one_are_refused(field):
    """A report's JSON carries its VerifyConfig, and ``auditor verify`` rebuilds it: zero
    candidates must be a clear error, not an IndexError deep in re-ranking."""
    from auditor.config import VerifyConfig

    with pytest.raises(AuditorError, match=field):
        VerifyConfig(**{field: 0})


def test_window_text_is_the_blob_texts_slice(tmp_path):
    """Re-ranking reads a window through ``Index.window_text``: the ASCII shortcut and the
    decoding path give ``blob_text(blob)[start:end]``, for ASCII and non-ASCII blobs alike."""
    from auditor import api

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "plain.py").write_text("def f(x):\n    return x + 1\n" * 40)
    (tmp_path / "src" / "wide.py").write_text("# \u00e9t\u00e9 \u6587\u5b57\ndef g(y):\n    return y * 2\n" * 40)
    api.build_index([str(tmp_path / "src")], tmp_path / "idx", workers=1, show_progress=False, scan_headers=False)
    index = api.open_index(tmp_path / "idx", show_progress=False)
    assert len(index.blob_ids) == 2
    for blob in range(2):
        text = index.blob_text(blob)
        for start, end in ((0, 10), (5, 300), (17, len(text)), (0, -1), (200, -1), (0, 0)):
            assert index.window_text(blob, start, end) == text[start: end if end >= 0 else None]


@pytest.mark.parametrize("bands,rows", [(28, 2), (16, 8), (9, 3)])
def test_band_keys_of_all_bands_are_each_bands_band_key(bands, rows):
    """Queries compute every band's key at once, builds one band at a time (sharded reduce):
    the keys must be the same."""
    from auditor.fingerprint.minhash import band_key

    rng = np.random.default_rng(bands)
    for n in (0, 1, 9, 500):
        sig = rng.integers(0, 1 << 32, (n, 128), dtype=np.uint64).astype(np.uint32)
        want = np.stack([band_key(sig[:, b * rows:(b + 1) * rows], b) for b in range(bands)]) if n else \
            np.empty((bands, 0), np.uint64)
        assert np.array_equal(band_keys(sig, bands, rows), want)


def test_window_spans_and_in_place_windows_agree_with_region_and_decoding(tmp_path):
    """Re-ranking reads every candidate's best window through ``Index.window_spans`` (all
    candidates at once) and, for windows in an ASCII stretch of their blob, lexes them in the
    mapped content: spans must be ``region(blob, (w,), w, 0)``'s, and the in-place counts those
    of the decoded windows."""
    from auditor import api
    from auditor.fingerprint import mode, tokens
    from auditor.fingerprint.overlap import shared_raw_tokens, shared_raw_tokens_in_place

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "plain.py").write_text("def f(x):\n    return x + 1\n" * 60)
    (tmp_path / "src" / "late.py").write_text("def g(y):\n    return y * 2\n" * 60 + "# \u00e9t\u00e9\n" + "z = 1\n" * 80)
    (tmp_path / "src" / "wide.c").write_text("/* \u6587\u5b57 */\nint h(int q) { return q - 3; }\n" * 60)
    api.build_index([str(tmp_path / "src")], tmp_path / "idx", workers=1, show_progress=False, scan_headers=False)
    index = api.open_index(tmp_path / "idx", show_progress=False)
    windows = np.arange(len(index.windows))
    blobs = index.windows[:, 0].astype(np.int64)
    starts, ends = index.window_spans(blobs, windows)
    assert [(int(a), int(b)) for a, b in zip(starts, ends)] == [index.region(int(b), (int(w),), int(w), 0)
                                                                for b, w in zip(blobs, windows)]
    before = mode.compiled_in_use()
    mode.use_compiled(True)
    try:
        content, byte_starts, byte_ends, which = index.ascii_windows(blobs, starts, ends)
        assert which.any() and not which.all()  # the C file's windows and late.py's last ones are not ASCII
        languages = [index.blob_language(int(b))[1] for b in blobs]
        texts = [index.window_text(int(b), int(s), int(e)) for b, s, e in zip(blobs, starts, ends)]
        wanted = np.unique(tokens.tokenize(texts[0], "Python").raw_hashes)
        want = shared_raw_tokens(wanted, texts, languages)
        got = shared_raw_tokens_in_place(wanted, content, byte_starts[which], byte_ends[which],
                                         [lang for lang, w in zip(languages, which) if w])
        assert np.array_equal(got, want[which]) and want[0] == len(wanted)
        for k in np.flatnonzero(which):
            assert content[byte_starts[k]:byte_ends[k]].tobytes().decode("ascii") == texts[k]
    finally:
        mode.use_compiled(before)


def test_blob_ascii_is_each_blobs_ascii_prefix_and_ascii_windows_follow_it(tmp_path):
    """The index keeps how many of each blob's first bytes are ASCII: the windows said to lie in
    that prefix (read in place, without decoding) are exactly those whose text up to their end
    is ASCII, and ``window_text`` reads every window right either way."""
    from auditor import api
    from auditor.fingerprint import mode

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "late.py").write_text("def g(y):\n    return y * 2\n" * 60 + "# \u00e9t\u00e9\n" + "z = 1\n" * 80)
    (tmp_path / "src" / "plain.py").write_text("def f(x):\n    return x + 1\n" * 60)
    (tmp_path / "src" / "first.c").write_text("/* \u6587 */\nint h(int q) { return q - 3; }\n" * 60)
    api.build_index([str(tmp_path / "src")], tmp_path / "idx", workers=1, show_progress=False, scan_headers=False)
    index = api.open_index(tmp_path / "idx", show_progress=False)
    texts = [index.blob_text(b) for b in range(len(index.blob_ids))]
    prefixes = [next((i for i, ch in enumerate(t) if ord(ch) >= 128), len(t)) for t in texts]
    assert index.blob_ascii.tolist() == prefixes and sorted(prefixes) != sorted(map(len, texts))
    windows = np.arange(len(index.windows))
    blobs = index.windows[:, 0].astype(np.int64)
    starts, ends = index.window_spans(blobs, windows)
    truth = [texts[b][: e if e >= 0 else None].isascii() for b, e in zip(blobs, ends)]
    before = mode.compiled_in_use()
    mode.use_compiled(True)
    try:
        assert index.ascii_windows(blobs, starts, ends)[3].tolist() == truth
    finally:
        mode.use_compiled(before)
    assert any(truth) and not all(truth)
    for b, s, e in zip(blobs.tolist(), starts.tolist(), ends.tolist()):
        assert index.window_text(b, s, e) == texts[b][s: e if e >= 0 else None]
