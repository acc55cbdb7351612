"""How many of a snippet's tokens, as written, each of many short texts holds: re-ranking asks it
of the best window of every LSH candidate (:func:`auditor.matching.trace.ranked_candidates`).

With the compiled lexer every window is lexed in one call, in place in the index's mapped content
when it lies in an ASCII stretch of its blob; without it, a lean ``re`` scan per window gives the
same counts (``tests/test_lexer.py``).
"""
from __future__ import annotations

import numpy as np

from .minhash import token_hash
from .mode import compiled_in_use
from .tokens import code_points, family_of, raw_token_set


def shared_raw_tokens(wanted: np.ndarray, texts: list[str], languages: list[str | None]) -> np.ndarray:
    """For each text, how many of the distinct raw-token hashes ``wanted`` (sorted, unique) it
    holds: ``len(set(wanted) & set(tokenize(text, language).raw_hashes))``. Re-ranking asks this
    of the best window of every LSH candidate; the compiled lexer answers for all of them in
    one call."""
    if not texts:
        return np.zeros(0, dtype=np.int64)
    if not compiled_in_use():
        want = set(wanted.tolist())
        return np.array([len(want.intersection([token_hash(t) for t in raw_token_set(text, language)]))
                         for text, language in zip(texts, languages)], dtype=np.int64)
    from . import lexer

    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=bounds[1:])
    return lexer.shared_tokens_of_segments(*code_points("".join(texts)), bounds[:-1], bounds[1:],
                                           _family_codes(languages), lexer.char_classes(), wanted)


def shared_raw_tokens_in_place(wanted: np.ndarray, content: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                               languages: list[str | None]) -> np.ndarray:
    """:func:`shared_raw_tokens` of the texts ``content[starts[i]:ends[i]]``, ASCII bytes read
    where they lie (the index's mapped content), with the compiled lexer."""
    from . import lexer

    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    return lexer.shared_tokens_of_segments(content, content, np.empty(0, np.int64), starts, ends,
                                           _family_codes(languages), lexer.char_classes(), wanted)


def _family_codes(languages) -> np.ndarray:
    from .lexer import FAMILY_CODE

    return np.array([FAMILY_CODE[family_of(lang)] for lang in languages], dtype=np.int64)
