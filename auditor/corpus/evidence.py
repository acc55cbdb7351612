"""Package-level licence evidence for the files of a tree, through :mod:`auditor.licensing.package`.

The readers only ask; deciding a file's licence is :mod:`auditor.licensing`'s job. When that
module is not installed (or not written yet) a reader still works and yields no findings.
"""
from __future__ import annotations

from contextlib import contextmanager
import importlib
import logging
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

from auditor.models import LicenseFinding

log = logging.getLogger(__name__)

_PACKAGE_MODULE = "auditor.licensing.package"


class Evidence(Protocol):
    def findings_for(self, relpath: str) -> tuple[LicenseFinding, ...]: ...
    def holders_for(self, relpath: str) -> tuple[str, ...]: ...
    def copyrights_for(self, relpath: str) -> tuple[str, ...]: ...
    def license_text_for(self, relpath: str) -> str | None: ...
    def notice_text_for(self, relpath: str) -> str | None: ...


class NoEvidence:
    """Evidence of a tree nobody could look at: no findings, no holders."""

    def findings_for(self, relpath: str) -> tuple[LicenseFinding, ...]:
        return ()

    def holders_for(self, relpath: str) -> tuple[str, ...]:
        return ()

    def copyrights_for(self, relpath: str) -> tuple[str, ...]:
        return ()

    def license_text_for(self, relpath: str) -> str | None:
        return None

    def notice_text_for(self, relpath: str) -> str | None:
        return None


NO_EVIDENCE = NoEvidence()


def _licensing_package():
    """The licensing module, or None only when it does not exist (an import error inside it propagates)."""
    try:
        package = importlib.import_module(_PACKAGE_MODULE)
    except ModuleNotFoundError as e:
        if e.name in ("auditor.licensing", _PACKAGE_MODULE):
            log.debug("%s not available: files are read without package licence evidence", _PACKAGE_MODULE)
            return None
        raise
    return package


# How tree evidence is computed: in this process, unless a build hands it to a worker.
_tree_evidence_runner: Callable[..., Evidence] | None = None


@contextmanager
def tree_evidence_computed_by(runner: Callable[..., Evidence]) -> Iterator[None]:
    """Within the block, :func:`tree_evidence` calls ``runner(from_tree, root, name)``. An
    index build passes one that runs it in a separate process, so a package's ScanCode
    work overlaps the fingerprinting of the files read before it."""
    global _tree_evidence_runner
    previous, _tree_evidence_runner = _tree_evidence_runner, runner
    try:
        yield
    finally:
        _tree_evidence_runner = previous


def tree_evidence(root: Path, name: str) -> Evidence:
    package = _licensing_package()
    if package is None:
        return NO_EVIDENCE
    if _tree_evidence_runner is not None:
        return _tree_evidence_runner(package.PackageEvidence.from_tree, Path(root), name)
    return package.PackageEvidence.from_tree(root, name)


def distribution_evidence(dist: Any) -> Evidence:
    """Evidence of an installed distribution (an :class:`importlib.metadata.Distribution`)."""
    package = _licensing_package()
    if package is None:
        return NO_EVIDENCE
    return package.evidence_for_distribution(dist)


def stdlib_evidence() -> Evidence:
    package = _licensing_package()
    if package is None:
        return NO_EVIDENCE
    return package.stdlib_evidence()


def evidence_fields(evidence: Evidence, relpath: str) -> dict:
    """The :class:`SourceFile` fields that package evidence fills, for one file. The licence
    and NOTICE texts are optional: evidence that does not keep them gives None."""
    license_text = getattr(evidence, "license_text_for", None)
    notice_text = getattr(evidence, "notice_text_for", None)
    return {
        "license_findings": tuple(evidence.findings_for(relpath)),
        "holders": tuple(evidence.holders_for(relpath)),
        "copyrights": tuple(evidence.copyrights_for(relpath)),
        "license_text": license_text(relpath) if license_text else None,
        "notice_text": notice_text(relpath) if notice_text else None,
    }
