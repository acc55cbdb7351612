"""Which implementation lexes and hashes: the compiled kernels (:mod:`auditor.fingerprint.lexer`,
:mod:`auditor.matching.kernels`) or ``re`` and numpy. Both give the same tokens, signatures and
traces (``tests/test_lexer.py``).

The kernels are several times faster, but loading numba and its cached machine code takes about
0.4 s, more than a one-off trace costs in all. So bulk work (index builds, audits, membership)
turns them on through :func:`for_bulk_work`, and a one-off trace does not load them.
``AUDITOR_KERNELS=compiled`` turns them on everywhere, ``python`` off everywhere.
"""
from __future__ import annotations

import os

_MODE = os.environ.get("AUDITOR_KERNELS", "auto")
_COMPILED = _MODE == "compiled"


def use_compiled(on: bool) -> None:
    """Lex and MinHash in the compiled kernels (True) or in ``re`` and numpy (False)."""
    global _COMPILED
    _COMPILED = bool(on)


def compiled_in_use() -> bool:
    return _COMPILED


def for_bulk_work() -> None:
    """Turn the compiled kernels on for work that tokenises a lot (unless AUDITOR_KERNELS=python)
    and load them now."""
    if _MODE == "python":
        return
    if not _COMPILED:
        try:
            import numba  # noqa: F401 - a dependency; a platform without a wheel keeps the re and numpy path
        except ImportError:
            return
        use_compiled(True)
    warm_up()


def warm_up() -> None:
    """Load (on a new machine: compile and cache) the compiled kernels now, so that worker
    processes started after this find them in numba's cache instead of compiling them each."""
    if _COMPILED:
        import numpy as np

        from .lexer import block_minhash
        from .tokens import tokenize

        tokenize("x = 1", "Python")
        block_minhash(np.zeros(1, np.uint32), np.ones(1, np.uint32), np.zeros(1, np.uint32), 1)
