"""Patch review: trace the lines a patch adds, hunk by hunk, and say which need attention.

A maintainer deciding whether a patch can carry a DCO sign-off (the QEMU thread) wants to
know whether its new code reproduces someone else's, under which licence, and whether that
licence fits the project. ``review_patch`` reads a unified diff or ``git format-patch``
output (parsed with ``unidiff``), traces the added lines of each hunk, and marks a hunk for
attention when it holds a copy (verbatim or near-verbatim) whose licence is incompatible
with ``--project-license`` or needs review, or whose attribution is required but not in
the patch. Similar code is reported but does not need attention on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .corpus.languages import language_of
from .errors import AuditorError
from .models import TraceResult

COPY_VERDICTS = ("verbatim", "near-verbatim")
MAX_PATCH_BYTES = 50_000_000


@dataclass
class HunkReview:
    path: str
    header: str  # "@@ -a,b +c,d @@ context"
    lines: list[int]  # new-file line number of each added line, in order
    result: TraceResult
    attention: list[str] = field(default_factory=list)  # why this hunk needs a look; [] when clean

    def new_lines(self, snippet_lines: tuple[int, int]) -> tuple[int, int]:
        """Snippet lines (1-based, within the added text) as line numbers of the patched file."""
        a, b = snippet_lines
        return self.lines[max(0, a - 1)], self.lines[min(len(self.lines), b) - 1]


@dataclass
class Review:
    hunks: list[HunkReview]
    files: int
    skipped: list[str]  # files not traced, with the reason
    project_license: str | None

    @property
    def findings(self) -> list[HunkReview]:
        return [h for h in self.hunks if h.attention]

    @property
    def exit_status(self) -> int:
        return 1 if self.findings else 0


def parse_patch(text: str):
    """[(path, [(hunk header, [(new line number, added line)])])] for each file the patch adds
    lines to. Deleted and binary files are skipped."""
    from unidiff import PatchSet, UnidiffParseError

    if not text.strip():
        raise AuditorError("the patch is empty: give a unified diff or 'git format-patch' output")
    text = text.replace("\r\n", "\n")  # a patch saved on Windows or from a mail client
    try:
        patch = PatchSet(text)
    except UnidiffParseError as e:
        raise AuditorError(f"not a unified diff: {str(e).splitlines()[0] if str(e) else 'parse error'}") from None
    if not len(patch):
        raise AuditorError("no diff found: give a unified diff or 'git format-patch' output")
    files, skipped = [], []
    for f in patch:
        path = f.path
        if f.is_binary_file:
            skipped.append(f"{path}: binary")
            continue
        if f.is_removed_file:
            continue
        hunks = []
        for h in f:
            added = [(line.target_line_no, line.value.rstrip("\n").rstrip("\r")) for line in h if line.is_added]
            if added:
                header = f"@@ -{h.source_start},{h.source_length} +{h.target_start},{h.target_length} @@" + \
                         (f" {h.section_header}" if h.section_header else "")
                hunks.append((header, added))
        if hunks:
            files.append((path, hunks))
    if not files and not skipped and any(line.startswith("@@") for line in text.splitlines()):
        raise AuditorError("the patch's hunk headers could not be read (expected '@@ -a,b +c,d @@')")
    return files, skipped, len(patch)


def review_patch(text: str, index, *, project_license: str | None = None, top_k: int = 3) -> Review:
    """Trace the added lines of every hunk of ``text`` against ``index`` (an open Index)."""
    from .matching.trace import trace

    if len(text) > MAX_PATCH_BYTES:
        raise AuditorError(f"the patch is {len(text):,} characters; the limit is {MAX_PATCH_BYTES:,}")
    files, skipped, n_files = parse_patch(text)
    hunks: list[HunkReview] = []
    for path, file_hunks in files:
        language = language_of(path)
        if language is None:
            skipped.append(f"{path}: not source code")
            continue
        for header, added in file_hunks:
            code = "\n".join(line for _, line in added) + "\n"
            if not code.strip():
                continue
            result = trace(index, code, top_k=top_k, language=language, project_license=project_license)
            review = HunkReview(path, header, [n for n, _ in added], result)
            review.attention = _attention(result)
            hunks.append(review)
    return Review(hunks, n_files, skipped, project_license)


def _attention(result: TraceResult) -> list[str]:
    reasons = []
    for m in result.matches:
        if m.verdict not in COPY_VERDICTS:
            continue
        where = f"#{m.rank} {m.source.repo_name}: {m.source.path}"
        c = m.compatibility
        if c and c["verdict"] != "compatible":
            reasons.append(f"{where}: {m.source.license or 'no licence found'} is {c['verdict']} "
                           f"with {c['project_license']}")
    a = result.attribution
    if a.required and not a.present_in_snippet:
        reasons.append("attribution required but not in the patch" if not a.wrong_license
                       else "the patch names a licence none of its sources is under")
    return reasons
