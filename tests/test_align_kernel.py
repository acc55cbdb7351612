"""The compiled alignment (auditor/matching/align_kernel.py) against its specifications:
rapidfuzz's ``Indel.opcodes`` for the LCS runs, and ``verify._anchored_blocks`` (rapidfuzz and
Python) for the anchored blocks. Which of several longest common subsequences is taken decides
where blocks start, so the runs must be rapidfuzz's exactly, ties and all: small alphabets make
ties everywhere, and lengths past 64 and 128 cross the bit-vector words."""
from __future__ import annotations

import random
import sysconfig
from pathlib import Path

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest
from rapidfuzz.distance import Indel

from auditor.config import VerifyConfig
from auditor.fingerprint.tokens import tokenize
from auditor.matching import verify
from auditor.matching.align_kernel import lcs_runs


pytestmark = pytest.mark.usefixtures("compiled_kernels")  # tests/conftest.py


def _rapidfuzz_runs(a: list[int], b: list[int], min_size: int) -> list[tuple[int, int, int]]:
    return [(i1, j1, i2 - i1) for tag, i1, i2, j1, _ in Indel.opcodes(a, b).as_list()
            if tag == "equal" and i2 - i1 >= min_size]


def _kernel_runs(a, b, a0, a1, b0, b1, min_size) -> list[tuple[int, int, int]]:
    found = lcs_runs(np.asarray(a, np.int64), a0, a1, np.asarray(b, np.int64), b0, b1, min_size)
    return [(i - a0, j - b0, k) for i, j, k in found.tolist()]


SEQUENCES = st.lists(st.integers(0, 3), max_size=300)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(SEQUENCES, SEQUENCES, st.integers(1, 4), st.data())
def test_lcs_runs_are_rapidfuzz_equal_opcodes(a, b, min_size, data):
    a0 = data.draw(st.integers(0, len(a)))
    a1 = data.draw(st.integers(a0, len(a)))
    b0 = data.draw(st.integers(0, len(b)))
    b1 = data.draw(st.integers(b0, len(b)))
    assert _kernel_runs(a, b, a0, a1, b0, b1, min_size) == _rapidfuzz_runs(a[a0:a1], b[b0:b1], min_size)


@pytest.mark.parametrize("n, m, alphabet", [(64, 64, 2), (65, 1000, 3), (129, 700, 5), (500, 4000, 4),
                                            (1300, 3000, 20)])
def test_lcs_runs_on_long_sequences_with_a_planted_copy(n, m, alphabet):
    rng = random.Random(n * m)
    a = [rng.randrange(alphabet) for _ in range(n)]
    b = [rng.randrange(alphabet) for _ in range(m)]
    at = rng.randrange(max(1, m - n))
    edited = [x if rng.random() > 0.05 else rng.randrange(alphabet) for x in a]
    b[at: at + n] = edited[: m - at]
    b = b[:m]
    for min_size in (1, 3, 8):
        assert _kernel_runs(a, b, 0, n, 0, m, min_size) == _rapidfuzz_runs(a, b, min_size)


def _blocks(snippet, src, left, right, cfg):
    return [verify.Block(*row) for row in verify.compiled_blocks(snippet, src, left, right, cfg).tolist()]


def _real_texts() -> list[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = sorted(stdlib.glob("*.py"))
    random.Random(1).shuffle(paths)
    return [p.read_text(encoding="utf-8", errors="replace") for p in paths[:40]]


def _cases():
    """(snippet text, source region text): verbatim, renamed, edited and cut-mid-word pieces of
    real files, against a region of their own file around them and one of another file."""
    rng = random.Random(2)
    texts = _real_texts()
    for k, text in enumerate(texts):
        if len(text) < 3000:
            continue
        for _ in range(4):
            start = rng.randrange(0, len(text) - 2000)
            size = rng.choice([80, 300, 900, 1800])
            piece = text[start: start + size]
            kind = rng.choice(["verbatim", "renamed", "edited", "cut"])
            if kind == "renamed":
                piece = piece.replace("self", "this").replace("name", "label")
            elif kind == "edited":
                lines = piece.split("\n")
                piece = "\n".join(line for line in lines if rng.random() > 0.2)
            elif kind == "cut":  # starts and ends inside a word
                piece = text[start + 3: start + size - 2]
            lo = max(0, start - rng.choice([0, 200, 3000]))
            yield piece, text[lo: start + size + rng.choice([0, 150, 4000])]
            other = texts[(k + 1) % len(texts)]
            yield piece, other[: 5000]


def test_anchored_blocks_are_pythons_on_real_code():
    cfg = VerifyConfig()
    compared = 0
    for snippet_text, region_text in _cases():
        snippet = tokenize(snippet_text, "Python")
        src = tokenize(region_text, "Python")
        if not len(snippet) or not len(src):
            continue
        assert snippet.code_points is not None and src.code_points is not None

        def same_raw(i, j):
            return verify.same_token(snippet, src, i, j)

        for left, right in ((snippet.raw_hashes, src.raw_hashes), (snippet.norm_hashes, src.norm_hashes)):
            expected = verify._anchored_blocks(left, right, len(snippet), cfg, same_raw)
            got = _blocks(snippet, src, left, right, cfg)
            assert got == expected, snippet_text[:80]
            compared += 1
            if expected:  # and the statistics of the blocks
                informative = np.arange(len(snippet)) % 5 != 0
                want = verify._block_stats(snippet, src, expected, informative)
                stats = verify._compiled_pass(snippet, src, left, right, cfg, informative)[1]
                assert np.array_equal(stats[2], want[2])
                assert stats[:2] + stats[3:] == want[:2] + want[3:]
    assert compared > 300


def test_anchored_blocks_cut_back_to_a_name_cut_mid_word():
    """The same-token rule on code points: aligned on normalised tokens, a paste that starts and
    ends inside names keeps them in its run, as they are the end and the start of the source's
    names; a name that is neither is cut off."""
    source = ("def configure(settings):\n    animation_speed = settings.lookup('speed')\n"
              "    return animation_speed * factor_of_time + baseline_offset\n")
    snippet_text = source[source.index("ation_speed ="): source.index("baseline_offset") + 4]
    snippet, src = tokenize(snippet_text, "Python"), tokenize(source, "Python")
    cfg = VerifyConfig()

    def same_raw(i, j):
        return verify.same_token(snippet, src, i, j)

    expected = verify._anchored_blocks(snippet.norm_hashes, src.norm_hashes, len(snippet), cfg, same_raw)
    got = _blocks(snippet, src, snippet.norm_hashes, src.norm_hashes, cfg)
    assert got == expected
    assert got and got[0].a == 0 and got[-1].a + got[-1].size == len(snippet)  # first and last tokens kept
    other = tokenize(snippet_text.replace("ation_speed =", "xyz_speed ="), "Python")

    def other_raw(i, j):
        return verify.same_token(other, src, i, j)

    expected = verify._anchored_blocks(other.norm_hashes, src.norm_hashes, len(other), cfg, other_raw)
    got = _blocks(other, src, other.norm_hashes, src.norm_hashes, cfg)
    assert got == expected and got[0].a == 1
