"""Package-level licence evidence: for a source tree, an installed distribution, or the stdlib.

Strongest first: the DEP-5 ``debian/copyright`` stanza that governs a path, then Python
core metadata, ``package.json``, ``pyproject.toml``, then LICENSE/COPYING/NOTICE files
scanned by ScanCode. Holders come from ScanCode's copyright detector run on the licence,
NOTICE and AUTHORS files, or from the governing DEP-5 stanza.

Holders are never made up from ``Author:`` fields: an author is not necessarily the
copyright holder (employers, foundations), so when no copyright statement is found the
holders stay empty and the attribution step says so.
"""
from __future__ import annotations

from dataclasses import dataclass
import importlib.metadata
from pathlib import Path, PurePosixPath
import sys
import sysconfig

from auditor.licensing import manifests
from auditor.licensing.dep5 import Dep5Stanza, read_dep5, stanza_for
from auditor.models import LicenseFinding

STDLIB_HOLDER = "Python Software Foundation"
STDLIB_LICENSE = "PSF-2.0"


@dataclass(frozen=True)
class PackageEvidence:
    """What a package says about its licence, and the DEP-5 stanzas for its paths.

    Picklable, so a build can compute it once and ship it to worker processes.
    """

    name: str
    findings: tuple[LicenseFinding, ...] = ()  # package-wide, strongest first
    holders: tuple[str, ...] = ()
    copyrights: tuple[str, ...] = ()
    dep5: tuple[Dep5Stanza, ...] = ()
    license_text: str | None = None  # its LICENSE/COPYING files, joined
    notice_text: str | None = None  # its NOTICE files, joined

    @classmethod
    def from_tree(cls, root: Path, name: str) -> PackageEvidence:
        """Evidence for the source tree at ``root`` (one repository or package).
        Needs ScanCode's licence index only when a LICENSE file or a non-SPDX declared
        licence has to be read."""
        root = Path(root)
        dep5_path = root / "debian" / "copyright"
        stanzas = read_dep5(dep5_path) if dep5_path.is_file() else ()
        findings = manifests.core_metadata_findings(root)
        findings += [f for f in (manifests.package_json_finding(root), manifests.pyproject_finding(root)) if f]
        license_texts = [
            (p.relative_to(root).as_posix(), text)
            for p in manifests.root_license_files(root)
            if (text := manifests.read_text(p)) is not None
        ]
        findings += manifests.license_file_findings(license_texts)
        holder_texts = [t for p in manifests.root_holder_files(root) if (t := manifests.read_text(p)) is not None]
        expressions = [f.expression for f in findings] + [s.expression for s in stanzas]
        found = manifests.holders_and_copyrights(holder_texts, expressions)
        license_text, notice_text = manifests.license_and_notice_texts(license_texts)
        return cls(
            name=name,
            findings=tuple(findings),
            holders=found.holders,
            copyrights=found.statements,
            dep5=stanzas,
            license_text=license_text,
            notice_text=notice_text,
        )

    def _stanza(self, relpath: str) -> Dep5Stanza | None:
        return stanza_for(self.dep5, str(PurePosixPath(relpath))) if self.dep5 else None

    def findings_for(self, relpath: str) -> tuple[LicenseFinding, ...]:
        """Evidence for the file at ``relpath`` (posix, relative to the root), strongest first."""
        stanza = self._stanza(relpath)
        if stanza is not None and stanza.expression:
            return (LicenseFinding(stanza.expression, "dep5", stanza.detail), *self.findings)
        return self.findings

    def holders_for(self, relpath: str) -> tuple[str, ...]:
        """The governing DEP-5 stanza's holders, else the package's."""
        stanza = self._stanza(relpath)
        return stanza.holders if stanza is not None and stanza.holders else self.holders

    def copyrights_for(self, relpath: str) -> tuple[str, ...]:
        stanza = self._stanza(relpath)
        return stanza.copyrights if stanza is not None and stanza.copyrights else self.copyrights

    def license_text_for(self, relpath: str) -> str | None:
        """The governing DEP-5 stanza's licence text, else the package's licence files, unless
        the stanza names a licence the package does not declare (lz4's GPL ``programs/`` under
        a BSD LICENSE): then no text is known for the file."""
        stanza = self._stanza(relpath)
        if stanza is None or not stanza.expression:
            return self.license_text
        if stanza.license_text:
            return stanza.license_text
        return self.license_text if stanza.expression in {f.expression for f in self.findings} else None

    def notice_text_for(self, relpath: str) -> str | None:
        return self.notice_text


def _metadata_dir(dist: importlib.metadata.Distribution) -> str:
    """The ``*.dist-info``/``*.egg-info`` directory name, for details; from RECORD when listed
    (top level only: a dist may vendor others' dist-info directories)."""
    for path in dist.files or ():
        if len(path.parts) == 2 and path.name in ("METADATA", "PKG-INFO") and path.parts[0].endswith((".dist-info", ".egg-info")):
            return path.parent.as_posix()
    return f"{dist.metadata['Name']}-{dist.version}.dist-info"


def _declared_license_texts(dist: importlib.metadata.Distribution, where: str) -> list[tuple[str, str]]:
    """(relative path, text) of the dist's licence files: its ``License-File:`` entries
    (under ``licenses/`` since metadata 2.4, beside METADATA before), else the licence-named
    files in its metadata directory as listed in RECORD."""
    names = list(dict.fromkeys(dist.metadata.get_all("License-File") or []))
    texts = []
    for name in names:
        if not manifests.DECLARED_LICENSE_FILE.search(PurePosixPath(name).name):
            continue
        for candidate in (f"licenses/{name}", name):
            text = dist.read_text(candidate)
            if text is not None:
                texts.append((f"{where}/{candidate}", text[: manifests.MAX_LICENSE_TEXT]))
                break
    if names:
        return texts
    for path in dist.files or ():
        if path.parts and path.parts[0] == where and manifests.DECLARED_LICENSE_FILE.search(path.name):
            text = manifests.read_text(Path(dist.locate_file(path)))
            if text is not None:
                texts.append((path.as_posix(), text))
    return texts


def evidence_for_distribution(dist: importlib.metadata.Distribution) -> PackageEvidence:
    """Evidence for an installed distribution: its core metadata, and its licence files,
    which are scanned for licences only when the metadata declares nothing usable, and
    always for copyright holders (ScanCode's copyright detector needs no licence index)."""
    where = _metadata_dir(dist)
    name = dist.metadata["Name"] or where
    metadata_file = "PKG-INFO" if where.endswith(".egg-info") else "METADATA"
    finding = manifests.core_metadata_finding(dist.metadata, f"{where}/{metadata_file}")
    texts = _declared_license_texts(dist, where)
    findings = [finding] if finding else manifests.license_file_findings(texts)
    found = manifests.holders_and_copyrights((text for _, text in texts), [f.expression for f in findings])
    license_text, notice_text = manifests.license_and_notice_texts(texts)
    return PackageEvidence(name=name, findings=tuple(findings), holders=found.holders, copyrights=found.statements,
                           license_text=license_text, notice_text=notice_text)


def _stdlib_license_file() -> Path | None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    candidates = (
        stdlib / "LICENSE.txt",  # POSIX "make install"
        stdlib.parent.parent / "LICENSE.txt",
        stdlib.parent / "LICENSE.txt",  # Windows: <prefix>/Lib/../LICENSE.txt
        Path(sys.base_prefix) / "LICENSE.txt",
    )
    return next((p for p in candidates if p.is_file()), None)


def stdlib_evidence() -> PackageEvidence:
    """The Python standard library: PSF-2.0, held by the Python Software Foundation.

    CPython's LICENSE.txt stacks the PSF, BeOpen, CNRI and CWI licences (SPDX
    ``Python-2.0``) plus the licences of bundled code; code added since 2001 is under the
    PSF License Agreement, so that is what is reported. The copyright statements are the
    PSF's, read from LICENSE.txt with ScanCode's copyright detector when it is installed.
    """
    path = _stdlib_license_file()
    if path is None:
        finding = LicenseFinding(STDLIB_LICENSE, "package-metadata", "CPython distribution")
        return PackageEvidence(name="python-stdlib", findings=(finding,), holders=(STDLIB_HOLDER,))
    try:
        detail = path.relative_to(sys.base_prefix).as_posix()
    except ValueError:
        detail = path.as_posix()
    text = manifests.read_text(path) or ""
    found = manifests.holders_and_copyrights([text])
    statements = tuple(s for s in found.statements if STDLIB_HOLDER in s)
    return PackageEvidence(
        name="python-stdlib",
        findings=(LicenseFinding(STDLIB_LICENSE, "license-file", detail),),
        holders=(STDLIB_HOLDER,),
        copyrights=statements,
        license_text=manifests.license_and_notice_texts([(detail, text)])[0],
    )
