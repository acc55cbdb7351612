"""What should have been emitted with a snippet that copies licensed code.

Turns matches into a ready-to-paste notice worded per licence family (``notices``), says
whether one is required, whether the snippet already carries it, and whether the snippet
names a licence its sources are not under (``snippet``).
"""
from __future__ import annotations

from ..licensing.spdx import combine, expression_tree
from ..models import Attribution, Match, SourceRef
from .families import leaves
from .notices import notice, required
from .snippet import SnippetClaims, claim_matches, mentions, satisfied, scan_snippet

__all__ = ["COPY_VERDICTS", "attribute", "notice_for", "scan_snippet"]

# Verdicts strong enough that the licence of the source applies to the snippet.
COPY_VERDICTS = ("verbatim", "near-verbatim")
# How a source whose licence is unknown enters the combined expression: unknown, not dropped.
UNKNOWN_LICENSE = "LicenseRef-scancode-unknown"


def _origins(matches: list[Match]) -> list[SourceRef]:
    """One source per origin file, in match order (two regions of one file are one origin)."""
    seen: dict[tuple, SourceRef] = {}
    for m in matches:
        s = m.source
        seen.setdefault((s.repo_name, s.path, s.blob_id), s)
    return list(seen.values())


def combined_license(sources: list[SourceRef]) -> str | None:
    """AND of the sources' licences; a source of unknown licence enters as unknown. None when
    no source's licence is known."""
    if not any(s.license for s in sources):
        return None
    return combine([s.license or UNKNOWN_LICENSE for s in sources])


def notice_for(matches: list[Match]) -> str:
    """A plain-text notice naming every copied source, its holders and licence."""
    sources = _origins(matches)
    return notice(sources, combined_license(sources))


def _carried(s: SourceRef, text: str, claims: SnippetClaims) -> tuple[bool, list[str]]:
    """Whether the snippet names the licence and (when known) a holder of ``s``; why not."""
    reasons = []
    if not s.license:
        reasons.append(f"{s.path} has no known licence, so the snippet cannot carry it")
    elif not satisfied(expression_tree(s.license), claims.licenses):
        reasons.append(f"licence {s.license} of {s.path} not stated")
    if s.holders and not any(mentions(text, h) for h in s.holders):
        credited = f" (the snippet credits: {'; '.join(claims.copyrights[:2])})" if claims.copyrights else ""
        reasons.append(f"holders of {s.path} not named{credited}")
    return not reasons, reasons


def _wrong_claims(sources: list[SourceRef], matches: list[Match], claims: SnippetClaims) -> list[str]:
    """Licence claims of the snippet that fit none of its sources' licences. Claims that came
    along in the copied source text are not the snippet's own, and a source whose licence is
    unknown could be under anything, so then no claim is called wrong."""
    if not claims.licenses or any(not s.license for s in sources):
        return []
    copied = set()
    for m in matches:
        copied.update(scan_snippet(m.source_text).licenses)
    keys = [key for s in sources for key, _ in leaves(s.license)]
    return [c for c in claims.licenses if c not in copied and not any(claim_matches(c, k) for k in keys)]


def attribute(matches: list[Match], snippet_text: str) -> Attribution:
    copied = [m for m in matches if m.verdict in COPY_VERDICTS]
    if not copied:
        if matches:
            return Attribution(False, None, None, "only similar code was found; no copy to attribute")
        return Attribution(False, None, None, "no match")
    sources = _origins(copied)
    combined = combined_license(sources)
    text = notice(sources, combined)
    claims = scan_snippet(snippet_text)
    wrong = _wrong_claims(sources, copied, claims)
    wrong_reason = (f"the snippet names {', '.join(wrong)}, which is not the licence of its source "
                    f"({combined})") if wrong else ""
    needing = [s for s in sources if required(s)]
    if not needing:
        reason = "no attribution is owed: the copied source is in the public domain or under a waiver"
        return Attribution(False, None, text, "; ".join(filter(None, (reason, wrong_reason))), bool(wrong), combined)
    present, reasons = True, []
    for s in needing:
        ok, why = _carried(s, snippet_text, claims)
        present = present and ok
        reasons += why
    if wrong:
        present = False
    reason = "the snippet carries the notice" if present else "; ".join(filter(None, [wrong_reason, *reasons]))
    return Attribution(True, present, text, reason, bool(wrong), combined)
