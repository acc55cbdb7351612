"""The labelled set's types, shared by the set builder, the baselines and the runner.

A corpus is a list of :class:`CorpusFile` (the files every method indexes); a case is one
snippet with the corpus files it truly comes from, or none for a negative.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
import json
from pathlib import Path
from typing import Iterable, Protocol

LANGUAGES = ("python", "javascript", "c", "java")
POSITIVE_KINDS = ("type1", "type2", "type3", "type4")  # verbatim, renamed, ~20% lines edited, reformatted w/o comments
NEGATIVE_KINDS = ("unseen", "boilerplate")  # code not in the corpus; imports, licence headers, main guards, accessors
REPORTED_KINDS = ("doc-text",)  # neither: memorised licence/doc text (StarCoder2 set), attribution rate only


@dataclass(frozen=True)
class CorpusFile:
    file_id: int
    package: str  # e.g. "pypi/requests@2.32.3", "npm/lodash@4.17.21", "debian/lz4@1.9.4-1"
    path: str  # posix, relative to the package root
    language: str  # one of LANGUAGES
    content: str
    license: str | None  # the truth: the package's declared licence, or the DEP-5 stanza's, SPDX


@dataclass(frozen=True)
class Case:
    case_id: str
    kind: str  # one of POSITIVE_KINDS + NEGATIVE_KINDS
    language: str
    snippet: str
    # Every corpus file that contains the origin (identical copies included); () for negatives.
    source_file_ids: tuple[int, ...] = ()
    origin: dict = field(default_factory=dict)  # package, path, start_line, end_line, unit ("150-chars", "function", ...)
    license: str | None = None  # truth licence of the origin file
    split: str = "test"  # "dev" (calibration) or "test" (reported)

    @property
    def positive(self) -> bool:
        return self.kind in POSITIVE_KINDS

    @property
    def negative(self) -> bool:
        return self.kind in NEGATIVE_KINDS


@dataclass(frozen=True)
class Hit:
    file_id: int
    score: float


class Method(Protocol):
    """A retrieval method under test: auditor or a baseline."""

    name: str

    def build(self, files: list[CorpusFile]) -> None: ...

    def query(self, snippet: str, language: str) -> list[Hit]:
        """At most 5 hits, best first. The method attributes the snippet to ``hits[0]`` when
        ``hits[0].score >= threshold``; the runner calibrates the threshold on the dev split
        unless the method has a published one (``fixed_threshold``)."""
        ...


def write_jsonl(path: Path, rows: Iterable) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(asdict(row) if hasattr(row, "__dataclass_fields__") else row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def read_cases(path: Path) -> list[Case]:
    with open(path, encoding="utf-8") as fh:
        return [Case(**{**d, "source_file_ids": tuple(d["source_file_ids"])}) for d in map(json.loads, fh)]


def read_corpus(path: Path) -> list[CorpusFile]:
    with open(path, encoding="utf-8") as fh:
        return [CorpusFile(**d) for d in map(json.loads, fh)]
