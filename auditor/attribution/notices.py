"""The notice that should accompany copied code, one block per origin, worded per licence family.

Texts from the corpus (LICENSE and NOTICE files, copyright lines, paths) are shown as
they are, minus control characters: a licence file cannot colour a terminal or hide text.
"""
from __future__ import annotations

import functools
import re
import textwrap

from ..licensing.spdx import obligations
from ..models import SourceRef
from .families import NO_NOTICE_FAMILIES, Term, leaves, terms_of

# Licence texts up to this size are reproduced in the notice: MIT, BSD and ISC texts are
# about 1-1.6 KB; bundles of third-party licences are far longer.
EMBED_PERMISSIVE = 8000
# For copyleft families only a short text is reproduced: a licence notice (the GPL's "This
# program is free software ..."), not the 35 KB licence itself, which is referenced.
EMBED_COPYLEFT = 4000
EMBED_NOTICE_FILE = 8000
WIDTH = 70  # fits a 72-column report indented by 2; the notice's own sentences are wrapped; reproduced texts keep their lines


class Verbatim(str):
    """A text reproduced as it is: not wrapped."""


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_OBLIGATION_TEXT = {
    "attribution": "keep the copyright notice",
    "license-text": "include the licence text",
    "notice-file": "include the NOTICE file of the source, if it has one",
    "state-changes": "say where you changed the code",
    "share-alike": "distribute the combined work under the same licence",
    "network-use": "offer the source to users who interact with it over a network",
}
_NAMES = {"mit": "MIT", "bsd": "BSD", "isc": "ISC", "apache": "Apache License 2.0", "gpl": "GNU GPL",
          "lgpl": "GNU LGPL", "agpl": "GNU AGPL", "mpl": "Mozilla Public License 2.0"}


def clean(text: str) -> str:
    """``text`` with CRLF as LF and without control, bidi-override or escape characters."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    "))


def licence_url(key: str) -> str:
    if key == "Apache-2.0":
        return "https://www.apache.org/licenses/LICENSE-2.0"
    if key.startswith("LicenseRef-scancode-"):
        return f"https://scancode-licensedb.aboutcode.org/{key[len('LicenseRef-scancode-'):]}.html"
    return f"https://spdx.org/licenses/{key}.html"


def required(source: SourceRef) -> bool:
    """Whether copying from ``source`` owes a notice: not when every licence the reuser must
    honour is a waiver or public domain; always when the licence is unknown."""
    terms = terms_of(source.license)
    return not terms or any(t.family not in NO_NOTICE_FAMILIES for t in terms)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _where(s: SourceRef) -> list[str]:
    revision = f" (revision {_one_line(s.revision)})" if s.revision else ""
    lines = [f"{_one_line(s.path)} in {_one_line(s.repo_name)}{revision}"]
    lines.append(Verbatim(f"SWHID: {s.swhid}"))
    return lines


def _copyright_lines(s: SourceRef, owed: bool) -> list[str]:
    if s.copyrights:
        return [Verbatim(_one_line(c)) for c in s.copyrights[:5]]
    if s.holders:
        return [Verbatim("Copyright (c) " + _one_line(", ".join(s.holders[:5])))]
    if not owed:
        return []
    return ["Copyright holders: not recorded in the source (the copyright still belongs to its authors)"]


def _embedded(title: str, text: str | None, limit: int, missing: str, too_long: str) -> list[str]:
    if not text or not text.strip():
        return [missing]
    if len(text) > limit:
        return [too_long.format(n=len(text))]
    return [title, "", Verbatim(text.strip("\n")), ""]


def _licence_text(s: SourceRef, t: Term, limit: int) -> list[str]:
    url = licence_url(t.key)
    return _embedded(
        "Licence text of the source (reproduce it with the code):", s.license_text, limit,
        f"The index holds no licence text for this source: include the text of {t.key} ({url}) with the code.",
        f"The source's own licence text ({{n:,}} characters, kept in the index) must be included with the code; "
        f"{t.key}: {url}.")


def _permissive(s: SourceRef, t: Term) -> list[str]:
    name = _NAMES.get(t.family, t.key)
    lines = [f"The {name} licence asks that the copyright notice above and its permission notice be kept in "
             "all copies or substantial portions of the code."]
    return lines + _licence_text(s, t, EMBED_PERMISSIVE)


def _apache(s: SourceRef, t: Term) -> list[str]:
    lines = [f"Licensed under the Apache License, Version 2.0; a copy of the licence must be given with the code: "
             f"{licence_url(t.key)}. Files you modify must carry a notice saying that you changed them."]
    lines += _embedded(
        "NOTICE file of the source (its attribution notices must be kept in a NOTICE file distributed with "
        "the code):", s.notice_text, EMBED_NOTICE_FILE,
        "No NOTICE file is recorded for the source; if its package has one, its contents must be included too.",
        "The source's NOTICE file ({n:,} characters, kept in the index) must be distributed with the code.")
    return lines


_SHARE_ALIKE = {
    "gpl": ("Share-alike: a program that contains this code is a work based on it. Whoever distributes that "
            "program, as source or binary, must license the whole of it under {key} (or a compatible licence), "
            "give recipients its complete corresponding source code, and keep these notices. Private use that is "
            "never distributed carries no such duty."),
    "lgpl": ("Share-alike, library scope: the copied code and every change to it stay under {key}, and their "
             "source must be offered to recipients. The rest of a program may keep its own licence only if it "
             "merely links to that part and users can replace it with a modified version; code pasted into your "
             "own file makes that file a {key} work."),
    "weak-copyleft": ("Share-alike ({key}, weak copyleft): the copied code and changes to it stay under {key}, "
                      "with their source available to recipients; how far this reaches into the rest of a "
                      "combined work (file, module or library) is set by the licence: {url}."),
    "strong-copyleft": ("Share-alike ({key}): distributing a program that contains this code requires licensing "
                        "the whole program under {key} or compatible terms, with its complete source."),
}
_NETWORK = ("Network use: if users interact with a modified version of the program over a network (a web "
            "service, an API), it must offer those users its complete corresponding source, even though no copy "
            "is distributed.")


def _copyleft(s: SourceRef, t: Term) -> list[str]:
    url = licence_url(t.key)
    lines = [f"Licence: {_NAMES.get(t.family, t.key)} ({t.key}), {url}; a copy of it must accompany the code."]
    if s.license_text and len(s.license_text) <= EMBED_COPYLEFT:
        lines += ["Licence notice of the source (reproduce it with the code):", "",
                  Verbatim(s.license_text.strip("\n")), ""]
    elif s.license_text:
        lines.append(f"(The source's own copy of the licence, {len(s.license_text):,} characters, is in the index.)")
    family = {"agpl": "gpl", "network-copyleft": "strong-copyleft"}.get(t.family, t.family)
    lines.append(_SHARE_ALIKE[family].format(key=t.key, url=url))
    if t.family in ("agpl", "network-copyleft"):
        lines.append(_NETWORK)
    if t.exception:
        lines.append(f"Exception: {t.exception} narrows what {t.key} asks of the combined work; read its terms: "
                     f"{licence_url(t.exception)}.")
    return lines


def _mpl(s: SourceRef, t: Term) -> list[str]:
    lines = ["MPL-2.0 is file-level copyleft: the files that contain this code stay under MPL-2.0 and keep its "
             "notice (\"This Source Code Form is subject to the terms of the Mozilla Public License, v. 2.0. If a "
             "copy of the MPL was not distributed with this file, You can obtain one at "
             "https://mozilla.org/MPL/2.0/.\"). If you distribute them, in source or executable form, their source "
             "code must be available under MPL-2.0. Your own code in other files may be under any licence."]
    if s.license_text and len(s.license_text) <= EMBED_COPYLEFT:
        lines += ["Licence notice of the source:", "", Verbatim(s.license_text.strip("\n")), ""]
    return lines


def _no_notice(s: SourceRef, t: Term) -> list[str]:
    how = "waives copyright (public domain)" if t.family == "public-domain" else "sets no condition"
    return [f"No attribution is owed: {t.key} {how}, so no notice has to accompany the code. Naming the source "
            "is still good practice."]


def _proprietary(s: SourceRef, t: Term) -> list[str]:
    return [f"{t.key} is a proprietary or restricted licence: read its terms ({licence_url(t.key)}) before reusing "
            "this code; they may not allow copying it at all."]


def _unknown_terms(s: SourceRef, t: Term) -> list[str]:
    return [f"The licence {t.key} is not one this tool can classify: read its terms ({licence_url(t.key)}) before "
            "reuse, and until then treat the code as all rights reserved."]


UNKNOWN = ("No licence was found for this source. Without a licence the code is all rights reserved: copying or "
           "adapting it needs the permission of its copyright holders, so obtain that permission or remove the "
           "code. Keep any copyright notice of the source in any case.")

_BY_FAMILY = {"mit": _permissive, "bsd": _permissive, "isc": _permissive, "permissive": _permissive,
              "apache": _apache, "gpl": _copyleft, "lgpl": _copyleft, "agpl": _copyleft,
              "weak-copyleft": _copyleft, "strong-copyleft": _copyleft, "network-copyleft": _copyleft,
              "mpl": _mpl, "public-domain": _no_notice, "no-conditions": _no_notice,
              "proprietary": _proprietary, "unknown": _unknown_terms}


def source_block(s: SourceRef) -> list[str]:
    """The notice lines for one origin."""
    terms = terms_of(s.license)
    lines = _where(s) + _copyright_lines(s, required(s))
    if not terms:
        return lines + ["License: unknown", UNKNOWN]
    lines.append(Verbatim(f"License: {s.license} (SPDX-License-Identifier: {s.license})"))
    if len(terms) < len({key for key, _ in leaves(s.license)}):
        chosen = " AND ".join(t.key for t in terms)
        lines.append(f"The licence offers a choice; this notice follows the most permissive one: {chosen}.")
    for t in terms:
        lines += _BY_FAMILY[t.family](s, t)
    duties = [_OBLIGATION_TEXT[o] for o in obligations(s.license) if o in _OBLIGATION_TEXT]
    if duties and required(s):
        lines.append("In short, the licence asks you to: " + "; ".join(duties) + ".")
    return lines


def notice(sources: list[SourceRef], combined: str | None) -> str:
    """The whole notice: one block per origin, then, with several, their combined licence."""
    if len(sources) == 1:
        lines = ["This code contains material copied or adapted from:", ""] + source_block(sources[0])
    else:
        lines = [f"This code contains material copied or adapted from {len(sources)} sources; each needs its own "
                 "notice."]
        for i, s in enumerate(sources, 1):
            block = source_block(s)
            lines += ["", f"[{i}] {block[0]}", *block[1:]]
        lines += ["", f"Combined licence of this code: {combined or 'unknown'} (the terms of every source apply)."]
    while lines and not lines[-1].strip():
        lines.pop()
    out: list[str] = []
    for line in lines:
        if isinstance(line, Verbatim) or len(line) <= WIDTH:
            out.append(line)
        else:
            out += _wrapped(line)
    return clean("\n".join(out))


@functools.lru_cache(maxsize=4096)
def _wrapped(line: str) -> tuple[str, ...]:
    """``line`` wrapped to WIDTH columns; most notice lines are the same few sentences, so each
    is wrapped once per process (a batch audit writes thousands of notices)."""
    return tuple(textwrap.wrap(line, WIDTH, break_long_words=False, break_on_hyphens=False))
