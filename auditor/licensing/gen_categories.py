"""Regenerate ``data/spdx_categories.json`` from ScanCode's licence DB (a dev-time step).

    python -m auditor.licensing.gen_categories

The JSON lets :func:`auditor.licensing.spdx.category_of` work at query time, where
ScanCode (1 GB, seconds to load) must not be imported. It holds {SPDX id: category} and,
for copyleft licences, the holders named in the licence's own text (see
:func:`build_text_holders`). Rerun it after upgrading scancode-toolkit and commit the
result; tests/test_licensing.py fails when the two disagree.
"""
from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

OUTPUT = Path(__file__).with_name("data") / "spdx_categories.json"

# ScanCode category -> ours. ScanCode has no "network" notion, see NETWORK_COPYLEFT_KEYS.
CATEGORY_BY_SCANCODE = {
    "Public Domain": "public-domain",
    "Permissive": "permissive",
    # Patent grants (e.g. Google's VP8 patent licence) come on top of a code licence and restrict nothing.
    "Patent License": "permissive",
    "Copyleft Limited": "weak-copyleft",
    "Copyleft": "strong-copyleft",
    "Proprietary Free": "proprietary",
    "Commercial": "proprietary",
    "Free Restricted": "proprietary",  # e.g. non-commercial-only licences
    "Source-available": "proprietary",
    "CLA": "unknown",  # a contributor agreement says nothing about the code's licence to users
    "Unstated License": "unknown",
}

# Licences whose copyleft is triggered by offering the software over a network
# (AGPL section 13, SSPL section 13, EUPL "communication", OSL/NPOSL "external
# deployment", RPL "deploy"). ScanCode files these under Copyleft, Copyleft Limited or
# Source-available.
NETWORK_COPYLEFT_KEYS = frozenset({
    "agpl-1.0", "agpl-1.0-plus", "agpl-2.0", "agpl-3.0", "agpl-3.0-plus",
    "mongodb-sspl-1.0",
    "eupl-1.0", "eupl-1.1", "eupl-1.2",
    "osl-3.0", "nosl-3.0",
    "rpl-1.1", "rpl-1.5",
})


def category_for(lic) -> str:
    if lic.key in NETWORK_COPYLEFT_KEYS:
        return "network-copyleft"
    return CATEGORY_BY_SCANCODE.get(lic.category or "", "unknown")


def _spdx_ids(lic) -> list[str]:
    return [i.strip() for i in (lic.spdx_license_key, *(lic.other_spdx_license_keys or ())) if i and i.strip()]


def load_scancode_licenses() -> list:
    """ScanCode's licences, deprecated ones last, so a deprecated licence never claims an
    SPDX id that a current one has."""
    from licensedcode.models import load_licenses

    return sorted(load_licenses(with_deprecated=True).values(), key=lambda lic: (lic.is_deprecated, lic.key))


def build_table(licenses) -> dict[str, str]:
    """{SPDX id: category}, with SPDX aliases. A licence without an SPDX id already has
    ``LicenseRef-scancode-<key>`` as its ``spdx_license_key``, the id ScanCode reports."""
    table: dict[str, str] = {}
    for lic in licenses:
        for spdx_id in _spdx_ids(lic):
            table.setdefault(spdx_id, category_for(lic))
    return dict(sorted(table.items(), key=lambda kv: kv[0].lower()))


def build_text_holders(licenses) -> dict[str, list[str]]:
    """{SPDX id: holders named in the licence's own text} for copyleft licences only.

    The GPL's text says "Copyright (C) 2007 Free Software Foundation, Inc.": that is the
    copyright in the licence document, not in the code of every project shipping it in
    COPYING, so a holder found in such a licence file must not be reported. Copyleft
    texts are published by stewards (FSF, OpenLDAP, LaTeX3) for others to use; the
    holders in permissive or vendor texts (PSF, Microsoft) usually are the licensor, so
    those are kept. ScanCode records these as each licence's ``ignorable_holders``.
    """
    holders: dict[str, list[str]] = {}
    for lic in licenses:
        if lic.ignorable_holders and category_for(lic) in ("weak-copyleft", "strong-copyleft", "network-copyleft"):
            for spdx_id in _spdx_ids(lic):
                holders.setdefault(spdx_id, sorted(set(lic.ignorable_holders)))
    return dict(sorted(holders.items(), key=lambda kv: kv[0].lower()))


def main() -> None:
    licenses = load_scancode_licenses()
    payload = {
        "generated_by": "python -m auditor.licensing.gen_categories",
        "scancode_toolkit": importlib.metadata.version("scancode-toolkit"),
        "categories": build_table(licenses),
        "license_text_holders": build_text_holders(licenses),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(payload, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(payload['categories'])} categories, {len(payload['license_text_holders'])} text holders to {OUTPUT}")


if __name__ == "__main__":
    main()
