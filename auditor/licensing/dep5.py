"""Machine-readable ``debian/copyright`` (DEP-5): per-path licence and copyright holders.

debian_inspector parses the file. ``License:`` short names are read as SPDX ids, else as
DEP-5 standard short names ("GPL-3+", "Expat", :mod:`auditor.licensing.debian_names`), else
by ScanCode's Debian licensing (``packagedcode.debian_copyright``), which reads a package's
own names ("BSD-3-clause-Regents") from their licence texts in the file's stand-alone
``License:`` paragraphs. Only those paragraphs are matched: approximate matching of every
licence text in the file took about 1 s per package. Matching paths to ``Files:`` patterns
is done here: DEP-5's ``*`` also matches ``/``, ``[`` is literal and ``\\`` escapes, which ``fnmatch`` does not
do, and debian_inspector has no matcher.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
import re

from auditor.licensing.debian_names import debian_short_name_to_spdx
from auditor.licensing.detection import copyrights_in_text
from auditor.licensing.spdx import normalize

DEP5_FORMAT_PREFIX = "format:"
_COPYRIGHT_WORD = re.compile(r"copyright|\(c\)|©", re.IGNORECASE)


@dataclass(frozen=True)
class Dep5Stanza:
    """One ``Files:`` stanza: its patterns, licence and copyright."""

    patterns: tuple[str, ...]
    license_name: str  # as written in the stanza's License: field
    expression: str | None  # SPDX, None when neither SPDX nor ScanCode could read it
    holders: tuple[str, ...] = ()
    copyrights: tuple[str, ...] = ()
    line: int = 0  # line of the Files: field in debian/copyright
    license_text: str | None = None  # the License: text, inline or from its stand-alone paragraph

    def matches(self, relpath: str) -> bool:
        return any(_pattern_regex(p).fullmatch(relpath) for p in self.patterns)

    @property
    def detail(self) -> str:
        return f"debian/copyright:{self.line} Files: {' '.join(self.patterns)} License: {self.license_name}"


@lru_cache(maxsize=4096)
def _pattern_regex(pattern: str) -> re.Pattern:
    pattern = pattern[2:] if pattern.startswith("./") else pattern
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def is_machine_readable(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.readline().strip().lower().startswith(DEP5_FORMAT_PREFIX)
    except OSError:
        return False


def _stanza_copyrights(paragraph) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(holders, statements) of a stanza's Copyright: field, through ScanCode's copyright
    detector. DEP-5 lines usually omit the word "Copyright", which the detector needs."""
    lines = [s.dumps() for s in (paragraph.copyright.statements if paragraph.copyright else [])]
    lines = [line if _COPYRIGHT_WORD.search(line) else f"Copyright {line}" for line in lines if line.strip()]
    found = copyrights_in_text("\n".join(lines))
    if found.holders or found.statements:
        return found.holders, found.statements
    return (), tuple(lines)


def read_dep5(path: Path) -> tuple[Dep5Stanza, ...]:
    """The ``Files:`` stanzas of the DEP-5 file at ``path`` in file order; () if the file is
    not machine-readable. Short names that are not SPDX ids need ScanCode's licence index."""
    from debian_inspector.copyright import CopyrightFilesParagraph, CopyrightLicenseParagraph, DebianCopyright

    if not is_machine_readable(path):
        return ()
    parsed = DebianCopyright.from_file(str(path))
    paragraphs = [p for p in parsed.paragraphs if isinstance(p, CopyrightFilesParagraph) and p.files]
    license_texts = {
        p.license.name.strip(): p.license.text.strip("\n")
        for p in parsed.paragraphs
        if isinstance(p, CopyrightLicenseParagraph) and p.license and p.license.name and (p.license.text or "").strip()
    }
    names = [(p.license.name or "").strip() if p.license else "" for p in paragraphs]
    expressions = [normalize(name) or debian_short_name_to_spdx(name) for name in names]
    unread = {name for name, expression in zip(names, expressions) if name and expression is None}
    debian_licensing = _debian_licensing(parsed, unread) if unread else None
    stanzas = []
    for paragraph, name, expression in zip(paragraphs, names, expressions):
        if expression is None and name:
            expression = _scancode_reading(debian_licensing, paragraph)
        holders, statements = _stanza_copyrights(paragraph)
        stanzas.append(Dep5Stanza(
            patterns=tuple(paragraph.files.values),
            license_name=name,
            expression=expression,
            holders=holders,
            copyrights=statements,
            line=paragraph.get_field_line_numbers("files")[0],
            license_text=_stanza_license_text(paragraph, name, license_texts),
        ))
    return tuple(stanzas)


def _stanza_license_text(paragraph, name: str, standalone: dict[str, str]) -> str | None:
    """The stanza's own License: text, else the stand-alone License: paragraphs of the short
    names it lists ("GPL-2+ or Artistic-1.0" joins both texts, each under its name)."""
    inline = (paragraph.license.text or "").strip("\n") if paragraph.license else ""
    if inline.strip():
        return inline + "\n"
    if name in standalone:
        return standalone[name] + "\n"
    names = [n for n in re.split(r"\s+(?:or|and)\s+|\s*,\s*", name, flags=re.IGNORECASE) if n in standalone]
    return "\n".join(f"License: {n}\n{standalone[n]}\n" for n in names) or None


def _debian_licensing(parsed, names: set[str]):
    """ScanCode's reading of the stand-alone ``License:`` paragraphs that ``names`` use."""
    from packagedcode.debian_copyright import DebianLicensing, EnhancedDebianCopyright

    from auditor.licensing.detection import scancode_cache

    scancode_cache()  # loaded (and timed) here rather than deep inside packagedcode
    words = {w.lower() for name in names for w in re.split(r"[\s,()]+", name) if w}
    enhanced = EnhancedDebianCopyright(debian_copyright=parsed)
    needed = [p for p in enhanced.paragraphs_with_license_text if p.license.name.strip().lower() in words]
    return DebianLicensing.from_license_paragraphs(paras_with_license=needed)


def _scancode_reading(debian_licensing, paragraph) -> str | None:
    from auditor.licensing.detection import scancode_cache, scancode_expression_to_spdx, without_unstated

    detection = debian_licensing.get_license_detection_from_license_field(paragraph)
    found = detection.license_expression_object
    if found is None:
        return None
    kept = without_unstated(scancode_cache().licensing.dedup(found))
    return scancode_expression_to_spdx(kept) if kept else None


def stanza_for(stanzas: tuple[Dep5Stanza, ...], relpath: str) -> Dep5Stanza | None:
    """The stanza that governs ``relpath``: per DEP-5, the last one whose patterns match."""
    for stanza in reversed(stanzas):
        if stanza.matches(relpath):
            return stanza
    return None
