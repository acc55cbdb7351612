"""Trace one snippet: fingerprint -> LSH candidates -> verify -> ranked, de-duplicated matches."""
from __future__ import annotations

from collections.abc import Sequence
import hashlib
import json

import numpy as np

from ..attribution import attribute
from ..config import VerifyConfig
from ..errors import AuditorError
from ..fingerprint import shingle_hashes, tokenize, window_signatures
from ..fingerprint.mode import compiled_in_use
from ..fingerprint.overlap import shared_raw_tokens, shared_raw_tokens_in_place
from ..fingerprint.tokens import drop_partial_comment, guess_languages, looks_like_prose
from ..index.reader import Index
from ..models import Match, SnippetInfo, SourceRef, TraceResult, git_blob_sha1, look_alikes_phrase
from .boilerplate import informative_mask
from .verify import VERDICTS, align

MAX_SNIPPET_CHARS = 2_000_000
# Paths that hold someone else's code: a copy found there is shown after the original.
_VENDORED = ("/_vendor/", "/vendor/", "/vendored/", "/third_party/", "/node_modules/", "/extern/", "/external/")


def check_snippet(text: str) -> None:
    if "\x00" in text:
        raise AuditorError("the snippet looks binary (it contains NUL bytes): give source code as text")
    if not text.strip():
        raise AuditorError("the snippet is empty: paste code on stdin or give a file")
    if len(text) > MAX_SNIPPET_CHARS:
        raise AuditorError(f"the snippet is {len(text):,} characters; the limit is {MAX_SNIPPET_CHARS:,}")


def _source_ref(row: dict, index: Index) -> SourceRef:
    try:
        evidence = tuple(json.loads(row.get("license_evidence") or "[]"))
    except json.JSONDecodeError:
        evidence = ()
    return SourceRef(
        repo_name=row["repo_name"], path=row["path"], blob_id=row["blob_id"], license=row.get("license"),
        license_category=row.get("license_category") or "unknown", holders=tuple(row.get("holders") or ()),
        copyrights=tuple(row.get("copyrights") or ()), revision=row.get("revision"),
        license_evidence=evidence, license_conflict=bool(row.get("license_conflict")),
        license_text=index.text(row.get("license_text_id")), notice_text=index.text(row.get("notice_text_id")),
    )


def _origin_order(row: dict) -> tuple:
    path = "/" + row["path"]
    return (any(v in path for v in _VENDORED), row.get("license") is None, len(row["path"]), row["repo_name"], row["path"])


def trace(index: Index, text: str, *, top_k: int = 5, language: str | None = None,
          verify_config: VerifyConfig | None = None, project_license: str | None = None) -> TraceResult:
    """Trace ``text``. Without ``language`` its family is guessed; when the likeliest guess
    finds nothing and a second family is plausible (Perl's ``;`` lines look like C, its ``#``
    comments and ``$`` names do not), the snippet is traced once more as that family."""
    check_snippet(text)
    vcfg = verify_config or VerifyConfig()
    if language:
        result = _trace(index, text, top_k, language, vcfg)
    else:
        guesses = guess_languages(text)
        result = _trace(index, text, top_k, guesses[0], vcfg)
        if not result.matches and not result.note and len(guesses) > 1:  # searched, found nothing
            second = _trace(index, text, top_k, guesses[1], vcfg)
            if second.matches:
                result = second
    # what the caller asked for, so the trace can be re-run exactly (``auditor verify``)
    result.params["language_given"] = language
    result.params["project_license"] = project_license
    if project_license:
        result = _with_compatibility(result, project_license)
    return result


def _with_compatibility(result: TraceResult, project_license: str) -> TraceResult:
    from dataclasses import replace

    from ..licensing.compatibility import compatibility

    matches = tuple(replace(m, compatibility=compatibility(m.source.license, project_license).as_dict())
                    for m in result.matches)
    return replace(result, matches=matches)


def _trace(index: Index, text: str, top_k: int, language: str | None, vcfg: VerifyConfig) -> TraceResult:
    fp = index.config.fingerprint
    code = drop_partial_comment(text, language)
    toks = tokenize(code, language, normalize_identifiers=fp.normalize_identifiers,
                    normalize_literals=fp.normalize_literals)
    info = SnippetInfo(sha1=git_blob_sha1(text.encode("utf-8", "surrogateescape")),
                       lines=text.count("\n") + (0 if text.endswith("\n") else 1),
                       tokens=len(toks), language=language, text=text)
    params = {"top_k": top_k, "verify": vcfg.__dict__.copy(), "language": language}
    note = ""
    if len(toks) == 0:
        note = "the snippet has no code tokens (only comments or blank lines)"
    elif len(toks) < vcfg.min_snippet_tokens:
        note = f"the snippet has {len(toks)} code tokens; at least {vcfg.min_snippet_tokens} are needed to attribute it"
    elif (informative := informative_mask(toks, code, language)).sum() < vcfg.min_snippet_tokens:
        looks = _look_alikes(lsh_candidates(index, toks, vcfg))
        note = ("the snippet is boilerplate (imports, includes, module prologue, main guard or accessors): "
                f"every project has such lines, so they are not evidence of copying ({look_alikes_phrase(looks)} "
                "code like it)")
        return TraceResult(info, "none", (), attribute([], text), index.describe(), params, note, looks)
    elif looks_like_prose(toks):
        note = "the snippet reads as prose (documentation or licence text), not code: it is not attributed as code"
    if note:
        return TraceResult(info, "none", (), attribute([], text), index.describe(), params, note)

    lsh = lsh_candidates(index, toks, vcfg)
    found: list[tuple] = []
    for tried, (cand, files) in enumerate(ranked_candidates(index, toks, vcfg, lsh)):
        if not found and tried >= vcfg.give_up:
            break  # none of the best-ranked candidates holds the snippet: the rest rank lower still
        source_text = index.blob_text(cand.blob)
        widen = len(toks) // fp.stride + 1
        region = index.region(cand.blob, cand.windows, cand.best_window, widen)
        al = align(toks, text, source_text, region, files[0].get("language"), fp.normalize_identifiers,
                   fp.normalize_literals, vcfg, informative)
        if al is None:
            continue
        found.append((al, files, source_text))

    # Best first; the same matched source text in several blobs (vendored or re-released
    # copies) is one origin, the others are listed under also_in. Equal scores are told
    # apart by the text itself, comments and all (see text_similarity).
    squashed = _squash(text)
    found.sort(key=lambda t: (-t[0].score, -text_similarity(text, squashed, t[0], t[2]), VERDICTS.index(t[0].verdict),
                              _origin_order(t[1][0])))
    matches: list[Match] = []
    by_text: dict[str, int] = {}
    for al, files, source_text in found:
        matched = source_text[al.source_chars[0]:al.source_chars[1]]
        key = hashlib.sha1("".join(matched.split()).encode("utf-8", "surrogateescape")).hexdigest()
        copies = [{"repo_name": f["repo_name"], "path": f["path"]} for f in files]
        if key in by_text:
            i = by_text[key]
            matches[i] = _with_also(matches[i], copies)
            continue
        if len(matches) >= top_k:
            continue
        by_text[key] = len(matches)
        lines = source_text.split("\n")  # as line numbers are counted (not splitlines: form feeds)
        shown = "\n".join(lines[al.source_lines[0] - 1: al.source_lines[1]])
        matches.append(Match(
            rank=len(matches) + 1, verdict=al.verdict, score=al.score, coverage=al.coverage,
            identity=al.identity, longest_run=al.longest_run, snippet_lines=al.snippet_lines,
            source_lines=al.source_lines, source=_source_ref(files[0], index), blocks=al.blocks,
            also_in=tuple(copies[1:]), source_text=shown, exact_share=al.exact_share, why=al.why,
        ))
    verdict = min((m.verdict for m in matches), key=VERDICTS.index, default="none")
    return TraceResult(info, verdict, tuple(matches), attribute(matches, text), index.describe(), params,
                       look_alikes=_look_alikes(lsh))


def _look_alikes(candidates) -> int:
    return sum(1 for c in candidates if c.score >= 0.5)


def lsh_candidates(index: Index, toks, vcfg: VerifyConfig) -> list:
    """Blobs whose windows share an LSH band with one of the snippet's windows, best first."""
    fp = index.config.fingerprint
    hashes = shingle_hashes(toks.norm_hashes, fp.shingle)
    sigs, first = window_signatures(hashes, fp, stride=fp.query_stride)
    sizes = np.minimum(first + fp.window, len(hashes)) - first
    return index.candidates(sigs, sizes.astype(np.float64), limit=vcfg.lsh_candidates,
                            min_containment=vcfg.min_containment)


def ranked_candidates(index: Index, toks, vcfg: VerifyConfig, lsh: list | None = None) -> list[tuple]:
    """The candidates ``trace`` verifies for the snippet tokens ``toks``, best first, as
    (Candidate, file rows): LSH candidates of the snippet's windows, re-ranked by how many of
    the snippet's raw tokens their best window holds.

    Signatures are built on normalised tokens, so in templated code (getters, generated
    resource tables, criteria builders) hundreds of files tie; the raw identifiers and
    literals of the best window tell the copy from its look-alikes, for the price of
    scanning one window of text per candidate.
    """
    wanted = np.unique(toks.raw_hashes)
    kept, languages = [], []
    for cand in lsh if lsh is not None else lsh_candidates(index, toks, vcfg):
        has_files, language = index.blob_language(cand.blob)  # all rows are read for the ones kept
        if has_files:
            kept.append(cand)
            languages.append(language)
    shared = _shared_tokens(index, wanted, kept, languages) / max(1, len(wanted))
    scored = [(cand.score + float(overlap), cand) for cand, overlap in zip(kept, shared)]
    scored.sort(key=lambda t: (-t[0], t[1].blob))
    return [(cand, _Files(index, cand.blob)) for _, cand in scored[: vcfg.candidates]]


class _Files(Sequence):
    """A candidate's file rows, originals first (``_origin_order``), read when first asked for:
    verification often stops before the last candidates, whose rows are then never parsed."""

    def __init__(self, index: Index, blob: int):
        self._index, self._blob, self._rows = index, blob, None

    def _read(self) -> list[dict]:
        if self._rows is None:
            self._rows = sorted(self._index.files_of(self._blob), key=_origin_order)
        return self._rows

    def __getitem__(self, i):
        return self._read()[i]

    def __len__(self) -> int:
        return len(self._read())


def _shared_tokens(index: Index, wanted: np.ndarray, cands: list, languages: list) -> np.ndarray:
    """How many of the distinct raw tokens ``wanted`` the best window of each candidate holds.
    With the compiled lexer, windows in an ASCII stretch of their blob are lexed where they lie
    in the index's mapped content; the others are decoded and lexed together."""
    blobs = np.array([c.blob for c in cands], dtype=np.int64)
    starts, ends = index.window_spans(blobs, np.array([c.best_window for c in cands], dtype=np.int64))
    shared = np.zeros(len(cands), dtype=np.int64)
    todo = np.arange(len(cands))
    direct = index.ascii_windows(blobs, starts, ends) if compiled_in_use() and len(cands) else None
    if direct is not None:
        content, byte_starts, byte_ends, which = direct
        shared[which] = shared_raw_tokens_in_place(wanted, content, byte_starts[which], byte_ends[which],
                                                   [languages[k] for k in np.flatnonzero(which)])
        todo = np.flatnonzero(~which)
    texts = [index.window_text(int(blobs[k]), int(starts[k]), int(ends[k])) for k in todo]
    shared[todo] = shared_raw_tokens(wanted, texts, [languages[k] for k in todo])
    return shared


_SIMILARITY_CHARS = 4000


def _squash(text: str) -> str:
    return "".join(text.split())


def text_similarity(snippet: str, squashed_snippet: str, al, source_text: str) -> float:
    """Similarity (0..1) of the snippet's text to the source text it aligned with, whitespace
    ignored but comments and partial tokens kept: the span the tokens matched, widened by as
    many characters as the snippet has before and after its aligned tokens. Tokens cannot
    tell apart two files that hold the same code under different comments (curl's
    examples), or a string cut off at the end of a paste (``LZ4_VERSION_MAJOR`` or
    ``ZSTD_VERSION_MAJOR``); the text can."""
    from rapidfuzz.fuzz import ratio

    s0, s1 = al.snippet_chars
    lo = max(0, al.source_chars[0] - s0)
    hi = al.source_chars[1] + (len(snippet) - s1)
    # Ties are told apart by their beginning: the Indel distance is quadratic in the length,
    # and a pasted file of 200,000 characters would take a second per candidate.
    n = _SIMILARITY_CHARS
    return ratio(squashed_snippet[:n], _squash(source_text[lo:min(hi, lo + 4 * n)])[:n]) / 100.0


def _with_also(m: Match, copies: list[dict]) -> Match:
    from dataclasses import replace

    seen = {(c["repo_name"], c["path"]) for c in m.also_in} | {(m.source.repo_name, m.source.path)}
    extra = tuple(c for c in copies if (c["repo_name"], c["path"]) not in seen)
    return replace(m, also_in=m.also_in + extra)
