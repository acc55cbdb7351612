"""Frozen records that flow between the stages of a build or a trace.

Field names of :class:`SourceFile` follow The Stack v2 so a row of that dataset
maps onto it one to one.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
import hashlib


def git_blob_sha1(data: bytes) -> str:
    """The git blob id of ``data``: also the hash of its SWHID (``swh:1:cnt:<id>``)."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def swhid(blob_id: str | None) -> str | None:
    return f"swh:1:cnt:{blob_id}" if blob_id else None


@dataclass(frozen=True)
class LicenseFinding:
    """One piece of licence evidence for a file, and where it came from."""

    expression: str  # SPDX expression, normalised
    source: str  # e.g. "spdx-tag", "header", "dep5", "package-metadata", "license-file", "dataset"
    detail: str = ""  # e.g. the file or field the evidence was read from


@dataclass(frozen=True)
class SourceFile:
    """One file of a corpus, as every reader yields it."""

    blob_id: str
    repo_name: str
    path: str
    content: str
    language: str | None = None
    detected_licenses: tuple[str, ...] = ()  # as the dataset states them (ScanCode keys for v2, SPDX for v1)
    license_type: str | None = None  # "permissive" / "no_license" in The Stack v2
    gha_license_id: str | None = None
    revision: str | None = None  # commit or release the file was taken from, when known
    holders: tuple[str, ...] = ()
    copyrights: tuple[str, ...] = ()
    # Evidence already known to the reader (package metadata, DEP-5, LICENSE files), strongest first.
    license_findings: tuple[LicenseFinding, ...] = ()
    # The package's licence text (its LICENSE/COPYING files, or the governing DEP-5 stanza's
    # licence) and NOTICE file, when the reader found them: for the attribution notice.
    license_text: str | None = None
    notice_text: str | None = None

    @property
    def swhid(self) -> str:
        return f"swh:1:cnt:{self.blob_id}"

    @staticmethod
    def blob_id_of(content: str) -> str:
        return git_blob_sha1(content.encode("utf-8", "surrogateescape"))


@dataclass(frozen=True)
class ResolvedLicense:
    """The licence decided for one file, with its evidence."""

    expression: str | None  # SPDX expression or None when unknown
    category: str  # permissive | weak-copyleft | strong-copyleft | network-copyleft | public-domain | proprietary | unknown
    findings: tuple[LicenseFinding, ...] = ()
    conflict: bool = False
    holders: tuple[str, ...] = ()
    copyrights: tuple[str, ...] = ()
    license_text: str | None = None  # the source's own licence text, when it is the file's licence
    notice_text: str | None = None  # the source package's NOTICE file


@dataclass(frozen=True)
class SourceRef:
    """A matched file as shown in a report."""

    repo_name: str
    path: str
    blob_id: str
    license: str | None
    license_category: str
    holders: tuple[str, ...] = ()
    copyrights: tuple[str, ...] = ()
    revision: str | None = None
    license_evidence: tuple[dict, ...] = ()
    license_conflict: bool = False
    license_text: str | None = field(default=None, repr=False)  # the source's own licence text, stored at build time
    notice_text: str | None = field(default=None, repr=False)  # its package's NOTICE file

    @property
    def swhid(self) -> str:
        return f"swh:1:cnt:{self.blob_id}"


@dataclass(frozen=True)
class AlignedBlock:
    """A run of snippet tokens that equals (after normalisation) a run of source tokens."""

    snippet_lines: tuple[int, int]  # 1-based, inclusive
    source_lines: tuple[int, int]
    tokens: int
    exact: bool  # raw tokens identical too, not only after normalising identifiers and literals


@dataclass(frozen=True)
class Match:
    rank: int
    verdict: str  # verbatim | near-verbatim | similar
    score: float
    coverage: float  # share of snippet tokens aligned to the source
    identity: float  # share of aligned identifier/literal tokens whose raw text is identical
    longest_run: int  # longest aligned run, in tokens
    snippet_lines: tuple[int, int]
    source_lines: tuple[int, int]
    source: SourceRef
    blocks: tuple[AlignedBlock, ...] = ()
    also_in: tuple[dict, ...] = ()  # [{"repo_name", "path"}] identical copies elsewhere
    source_text: str = ""  # the matched source lines, for side-by-side display
    exact_share: float = 0.0  # share of aligned tokens identical as written
    why: str = ""  # the numbers and thresholds behind the verdict, in words
    # With a project licence: {"verdict": compatible | needs-review | incompatible, "reason", ...}
    compatibility: dict | None = None


@dataclass(frozen=True)
class Attribution:
    required: bool
    present_in_snippet: bool | None
    notice: str | None
    reason: str = ""
    wrong_license: bool = False  # the snippet names a licence that none of its copied sources is under
    license: str | None = None  # the combined licence (AND) of the copied sources, when known


@dataclass(frozen=True)
class SnippetInfo:
    sha1: str
    lines: int
    tokens: int
    language: str | None
    text: str = field(default="", repr=False)

    @property
    def swhid(self) -> str:
        return f"swh:1:cnt:{self.sha1}"


@dataclass(frozen=True)
class TraceResult:
    snippet: SnippetInfo
    verdict: str
    matches: tuple[Match, ...]
    attribution: Attribution
    index: dict  # {"id", "config", "files", "windows", ...}
    params: dict = field(default_factory=dict)  # top_k and thresholds used
    note: str = ""  # e.g. "snippet has no code tokens (only comments)"
    # How common the snippet's code is: indexed files with a window estimated to hold at
    # least half of one of its windows (at most VerifyConfig.lsh_candidates; None when the
    # snippet was not looked up). Many look-alikes mean idiomatic or templated code.
    look_alikes: int | None = None


def look_alikes_phrase(n: int) -> str:
    """``"1 indexed file holds"`` / ``"3 indexed files hold"``: how reports word ``look_alikes``."""
    return f"{n:,} indexed file holds" if n == 1 else f"{n:,} indexed files hold"


def to_plain(obj):
    """Dataclasses to JSON-ready dicts, tuples to lists."""
    if hasattr(obj, "__dataclass_fields__"):
        return {k: to_plain(v) for k, v in asdict(obj).items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    return obj
