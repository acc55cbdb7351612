"""Renderers for ``auditor membership``: text (72 columns) and JSON (``auditor.membership/1``)."""
from __future__ import annotations

from dataclasses import asdict
import json

from .. import __version__
from ..membership import MembershipReport
from .columns import clean, plural, prose

SCHEMA = "auditor.membership/1"


def render_membership_text(r: MembershipReport) -> str:
    found = r.found
    ix = r.index
    lines = [f"auditor membership: {len(found)} of {plural(len(r.files), 'file')} found in the index", ""]
    lines += prose(r.root, "tree      ")
    lines += prose(f"{ix.get('id')}, {plural(ix.get('files'), 'file')}, {plural(ix.get('windows'), 'window')}",
                   "index     ")
    lines += prose(str(ix.get("path")), " " * 10)
    lines += prose(f"exact: the same bytes (git blob id); near copy: at least {r.min_share:.0%} of the "
                   "file's windows found in an indexed file whose text is at least half alike",
                   "found as  ")
    for f in found:
        lines += [""] + prose(f.path)
        for h in f.holders:
            kind = "exact" if h.exact else (f"near copy, {h.share:.0%} of {plural(f.windows, 'window')}, "
                                            f"text {h.similarity:.0%} alike")
            lines += prose(f"{kind}: swh:1:cnt:{h.blob_id}", "  ", "    ")
            for row in h.files:
                lines += prose(f"{row['repo_name']}: {row['path']} ({row.get('license') or 'licence unknown'})",
                               "    - ", "      ")
            if h.more_files:
                lines += [f"    - and {h.more_files} more"]
    missing = [f for f in r.files if not f.holders]
    if missing:
        lines += ["", f"Not found ({len(missing)}):"]
        for f in missing:
            lines += prose(f.path, "  ", "    ")
    return "\n".join(clean(x) for x in lines) + "\n"


def membership_dict(r: MembershipReport) -> dict:
    return {"schema": SCHEMA, "tool": {"name": "auditor", "version": __version__}, "root": r.root,
            "index": r.index, "min_share": r.min_share, "files": len(r.files), "found": len(r.found),
            "skipped": r.skipped, "results": [asdict(f) for f in r.files]}


def render_membership_json(r: MembershipReport) -> str:
    return json.dumps(membership_dict(r), indent=2, ensure_ascii=False) + "\n"


MEMBERSHIP_RENDERERS = {"text": render_membership_text, "json": render_membership_json}
