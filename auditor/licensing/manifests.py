"""Declared licences in package manifests and licence files, each as a LicenseFinding.

Python core metadata (``PKG-INFO``, ``*.dist-info/METADATA``, ``*.egg-info/PKG-INFO``),
``package.json`` and ``pyproject.toml`` are read with the standard library; what they
declare goes through :func:`detection.license_in_statement`, which only reaches for
ScanCode when the statement is not already an SPDX expression.
"""
from __future__ import annotations

from collections.abc import Iterable
import email
import json
from pathlib import Path
import re

from auditor.licensing.detection import Copyrights, copyrights_in_text, license_in_statement, license_in_text
from auditor.licensing.spdx import combine, license_text_holders
from auditor.models import LicenseFinding

# Files at a package root that hold its licence, per the usual conventions.
LICENSE_FILE = re.compile(r"^(licen[cs]e|copying|notice)", re.IGNORECASE)
# Declared licence files (License-File:, dist-info/licenses/) that are worth scanning:
# "apache-2.0.LICENSE", "LICENSE.APACHE", "AUTHORS.rst"; not the READMEs and changelogs
# some projects also list there.
DECLARED_LICENSE_FILE = re.compile(r"licen[cs]e|copying|notice|authors", re.IGNORECASE)
HOLDER_FILE = re.compile(r"^(licen[cs]e|copying|notice|authors)", re.IGNORECASE)
# ScanCode's time grows with text length; licence files beyond this are concatenations of
# many third-party licences, and their first part is the package's own.
MAX_LICENSE_TEXT = 256 * 1024


def read_text(path: Path, limit: int = MAX_LICENSE_TEXT) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(limit)
    except OSError:
        return None


def core_metadata_finding(metadata, where: str) -> LicenseFinding | None:
    """The licence declared by Python core metadata (an ``email.message.Message`` or an
    ``importlib.metadata`` PackageMetadata): License-Expression, else License, else the
    ``License ::`` trove classifiers (which ScanCode's rules recognise)."""
    declared = metadata.get("License-Expression")
    if declared:
        expression = license_in_statement(declared)
        if expression:
            return LicenseFinding(expression, "package-metadata", f"{where}: License-Expression")
    declared = metadata.get("License")
    if declared:
        expression = license_in_statement(declared)
        if expression:
            return LicenseFinding(expression, "package-metadata", f"{where}: License")
    classifiers = [c for c in metadata.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        expression = license_in_statement("\n".join(classifiers))
        if expression:
            return LicenseFinding(expression, "package-metadata", f"{where}: Classifier")
    return None


def core_metadata_findings(root: Path) -> list[LicenseFinding]:
    candidates = [root / "PKG-INFO", *sorted(root.glob("*.dist-info/METADATA"))]
    candidates += sorted(root.glob("*.egg-info/PKG-INFO")) + sorted(root.glob("*/*.egg-info/PKG-INFO"))
    findings = []
    for path in candidates:
        text = read_text(path)
        if text is None:
            continue
        finding = core_metadata_finding(email.message_from_string(text), path.relative_to(root).as_posix())
        if finding:
            findings.append(finding)
    return findings


def package_json_finding(root: Path) -> LicenseFinding | None:
    """``license`` (an SPDX expression, or the legacy ``{"type": ...}`` object) and the
    legacy ``licenses`` array, read the way ScanCode's npm handler reads them."""
    text = read_text(root / "package.json", limit=4 * 1024 * 1024)
    if text is None:
        return None
    try:
        manifest = json.loads(text)
    except ValueError:
        return None
    if not isinstance(manifest, dict):
        return None
    from packagedcode.npm import get_declared_licenses

    declared = get_declared_licenses(manifest.get("license")) + get_declared_licenses(manifest.get("licenses"))
    statements = [d.get("type") if isinstance(d, dict) else d for d in declared]
    expression = combine(license_in_statement(s) for s in statements if isinstance(s, str))
    if not expression:
        return None
    field = "license" if manifest.get("license") else "licenses"
    return LicenseFinding(expression, "package.json", f"package.json: {field}")


def _load_toml(text: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: toml comes with scancode-toolkit
        import toml as tomllib
    return tomllib.loads(text)


def pyproject_finding(root: Path) -> LicenseFinding | None:
    """``[project] license``: a PEP 639 SPDX string, or a PEP 621 table with ``text`` or
    ``file``; else Poetry's ``[tool.poetry] license``."""
    text = read_text(root / "pyproject.toml", limit=4 * 1024 * 1024)
    if text is None:
        return None
    try:
        data = _load_toml(text)
    except ValueError:  # both tomllib's and toml's decode errors are ValueErrors
        return None
    declared = (data.get("project") or {}).get("license")
    field = "project.license"
    if declared is None:
        declared = ((data.get("tool") or {}).get("poetry") or {}).get("license")
        field = "tool.poetry.license"
    if isinstance(declared, str):
        expression = license_in_statement(declared)
    elif isinstance(declared, dict) and isinstance(declared.get("text"), str):
        expression, field = license_in_statement(declared["text"]), f"{field}.text"
    elif isinstance(declared, dict) and isinstance(declared.get("file"), str):
        expression = license_in_text(read_text(root / declared["file"]) or "")
        field = f"{field}.file ({declared['file']})"
    else:
        return None
    return LicenseFinding(expression, "pyproject", f"pyproject.toml: {field}") if expression else None


def root_license_files(root: Path) -> list[Path]:
    """LICENSE*/LICENCE*/COPYING*/NOTICE* at the root, and a wheel's: under ``*.dist-info/licenses/``
    (metadata 2.4), else beside its METADATA (older wheels)."""
    found = [p for p in sorted(root.iterdir()) if p.is_file() and LICENSE_FILE.match(p.name)]
    for info in sorted(root.glob("*.dist-info")):
        licenses_dir = info / "licenses"
        if licenses_dir.is_dir():
            found += sorted(p for p in licenses_dir.rglob("*") if p.is_file() and DECLARED_LICENSE_FILE.search(p.name))
        else:
            found += sorted(p for p in info.iterdir() if p.is_file() and LICENSE_FILE.match(p.name))
    return found


def license_and_notice_texts(texts: Iterable[tuple[str, str]]) -> tuple[str | None, str | None]:
    """(licence text, NOTICE text) of a package from its (relative path, text) licence files:
    NOTICE files apart, AUTHORS lists dropped; several files are joined, each under its name."""
    licenses, notices = [], []
    for relpath, text in texts:
        name = relpath.rsplit("/", 1)[-1]
        if not text.strip() or re.search(r"authors", name, re.IGNORECASE):
            continue
        (notices if re.search(r"notice", name, re.IGNORECASE) else licenses).append((relpath, text))
    return _joined(licenses), _joined(notices)


def _joined(texts: list[tuple[str, str]]) -> str | None:
    if not texts:
        return None
    if len(texts) == 1:
        return texts[0][1].strip("\n") + "\n"
    parts = []
    for relpath, text in texts:
        body = text.strip("\n")
        parts.append(f"--- {relpath} ---\n{body}\n")
    return "\n".join(parts)


def root_holder_files(root: Path) -> list[Path]:
    found = [p for p in sorted(root.iterdir()) if p.is_file() and HOLDER_FILE.match(p.name)]
    return found + [p for p in root_license_files(root) if p not in found]


def license_file_findings(texts: Iterable[tuple[str, str]]) -> list[LicenseFinding]:
    """One finding per (relative path, text) in which ScanCode detects a licence."""
    findings = []
    for relpath, text in texts:
        expression = license_in_text(text)
        if expression:
            findings.append(LicenseFinding(expression, "license-file", relpath))
    return findings


def holders_and_copyrights(texts: Iterable[str], license_expressions: Iterable[str] = ()) -> Copyrights:
    """Copyright holders and statements found in licence/NOTICE/AUTHORS texts, in order,
    de-duplicated, without the copyright of the licence documents themselves (the FSF's
    in a COPYING that is the GPL) for the licences in ``license_expressions``."""
    text_holders = license_text_holders(license_expressions)
    holders: dict[str, None] = {}
    statements: dict[str, None] = {}
    for text in texts:
        found = copyrights_in_text(text)
        holders.update(dict.fromkeys(h for h in found.holders if h not in text_holders))
        statements.update(dict.fromkeys(s for s in found.statements if not any(h in s for h in text_holders)))
    return Copyrights(statements=tuple(statements), holders=tuple(holders))
