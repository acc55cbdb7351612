"""Tokens -> shingles -> MinHash per window."""
from .tokens import Tokens, guess_language, tokenize
from .minhash import band_keys, shingle_hashes, window_signatures

__all__ = ["Tokens", "tokenize", "guess_language", "shingle_hashes", "window_signatures", "band_keys"]
