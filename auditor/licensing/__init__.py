"""Which licence governs a source file, who holds its copyright, and what that obliges.

``import auditor.licensing`` is cheap: the names below are imported on first use, and
ScanCode (a 1 GB licence index, 5-8 s to load) only when a text must be scanned. The
query path needs only :mod:`auditor.licensing.spdx`, which never imports ScanCode.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "normalize": "spdx",
    "from_scancode_keys": "spdx",
    "category_of": "spdx",
    "obligations": "spdx",
    "spdx_tags": "spdx",
    "PackageEvidence": "package",
    "evidence_for_distribution": "package",
    "stdlib_evidence": "package",
    "resolve": "resolve",
    "resolve_many": "resolve",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'auditor.licensing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"auditor.licensing.{module}"), name)
