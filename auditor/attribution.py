"""What should have been emitted with a snippet that copies licensed code.

Turns matches into a ready-to-paste notice, says whether one is required, and
whether the snippet already carries it.
"""
from __future__ import annotations

import re

from .models import Attribution, Match

# Verdicts strong enough that the licence of the source applies to the snippet.
COPY_VERDICTS = ("verbatim", "near-verbatim")
NO_NOTICE_CATEGORIES = ("public-domain",)

_OBLIGATION_TEXT = {
    "attribution": "keep the copyright notice",
    "license-text": "include the licence text",
    "notice-file": "include the NOTICE file of the source, if it has one",
    "state-changes": "state that the code was changed",
    "share-alike": "distribute the combined work under the same licence",
    "network-use": "offer the source to users who interact with it over a network",
}


def _obligations(expression: str | None) -> list[str]:
    try:
        from .licensing.spdx import obligations
    except ImportError:  # pragma: no cover - licensing is part of the package
        return []
    return list(obligations(expression))


def notice_for(matches: list[Match]) -> str:
    """A plain-text notice naming every copied source, its holders and licence."""
    lines = ["This code contains material copied or adapted from:"]
    for m in matches:
        s = m.source
        where = f"{s.path} in {s.repo_name}" + (f" (revision {s.revision})" if s.revision else "")
        lines.append("")
        lines.append(f"  {where}")
        lines.append(f"  SWHID: {s.swhid}")
        if s.copyrights:
            lines.extend(f"  {c}" for c in s.copyrights[:5])
        elif s.holders:
            lines.append("  Copyright (c) " + ", ".join(s.holders[:5]))
        else:
            lines.append("  Copyright holders: not recorded in the source")
        lic = s.license or "unknown (no licence found: all rights reserved unless the authors say otherwise)"
        lines.append(f"  License: {lic}")
        if s.license:
            lines.append(f"  SPDX-License-Identifier: {s.license}")
        duties = [_OBLIGATION_TEXT[o] for o in _obligations(s.license) if o in _OBLIGATION_TEXT]
        if duties:
            lines.append("  The licence asks you to: " + "; ".join(duties) + ".")
    return "\n".join(lines)


def _mentions(text: str, phrase: str) -> bool:
    phrase = phrase.strip()
    if len(phrase) < 3:
        return False
    return re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text, re.I) is not None


def _licence_mentioned(text: str, expression: str) -> bool:
    ids = [t for t in re.split(r"[\s()]+", expression) if t and t.upper() not in ("AND", "OR", "WITH")]
    return any(_mentions(text, i) for i in ids)


def attribute(matches: list[Match], snippet_text: str) -> Attribution:
    copied = [m for m in matches if m.verdict in COPY_VERDICTS]
    if not copied:
        if matches:
            return Attribution(False, None, None, "only similar code was found; no copy to attribute")
        return Attribution(False, None, None, "no match")
    needing = [m for m in copied if m.source.license_category not in NO_NOTICE_CATEGORIES]
    if not needing:
        return Attribution(False, None, notice_for(copied), "the copied source is in the public domain")
    notice = notice_for(needing)
    present, reasons = True, []
    for m in needing:
        s = m.source
        has_licence = bool(s.license) and _licence_mentioned(snippet_text, s.license)
        has_holder = any(_mentions(snippet_text, h) for h in s.holders) if s.holders else True
        if not has_licence:
            present = False
            reasons.append(f"licence {s.license or 'unknown'} of {s.path} not stated")
        if not has_holder:
            present = False
            reasons.append(f"holders of {s.path} not named")
    reason = "the snippet carries the notice" if present else "; ".join(reasons)
    return Attribution(True, present, notice, reason)
