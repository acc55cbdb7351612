"""auditor as a :class:`cases.Method`: an index of the corpus, then ``trace`` per snippet.

The index is built from the packages themselves (``auditor.corpus.iter_source``), so each
file carries its package's licence evidence exactly as in real use; only the files of the
labelled corpus are indexed, so every method sees the same files.
"""
from __future__ import annotations

from pathlib import Path
import shutil
from typing import Callable, Iterable


from cases import CorpusFile, Hit


class AuditorMethod:
    name = "auditor"
    fixed_threshold = 1e-9  # its own verdicts decide: any match is an attribution

    def __init__(self, workdir: Path, source_files: Callable[[], Iterable] | None = None, workers: int = 2,
                 verify_config=None, scan_headers: bool = True, index_config=None):
        """``source_files()`` yields ``(file_id, SourceFile)`` with package evidence; without it
        the index is built from the corpus texts alone (no package licences)."""
        self.workdir = Path(workdir)
        self.source_files = source_files
        self.workers = workers
        self.verify_config = verify_config
        self.scan_headers = scan_headers
        self.index_config = index_config  # auditor's IndexConfig; None for the defaults
        self.index = None
        self.file_ids: dict[tuple[str, str], int] = {}
        self.last_license: str | None = None

    def build(self, files: list[CorpusFile]) -> None:
        from auditor.corpus.languages import language_of
        from auditor.index.builder import build
        from auditor.index.reader import Index
        from auditor.models import SourceFile

        out = self.workdir / "auditor-index"
        shutil.rmtree(out, ignore_errors=True)

        def generate():
            if self.source_files is not None:
                for file_id, sf in self.source_files():
                    self.file_ids[(sf.repo_name, sf.path)] = file_id
                    yield sf
                return
            for f in files:
                sf = SourceFile(blob_id=SourceFile.blob_id_of(f.content), repo_name=f.package, path=f.path,
                                content=f.content, language=language_of(f.path))
                self.file_ids[(sf.repo_name, sf.path)] = f.file_id
                yield sf

        self.manifest, self.stats = build(["accuracy-corpus"], out, self.index_config, files=generate(),
                                          workers=self.workers,
                                          scan_headers=self.scan_headers, show_progress=False)
        self.index = Index(out)

    def query(self, snippet: str, language: str) -> list[Hit]:
        from auditor.errors import AuditorError
        from auditor.matching.trace import trace

        self.last_license = None
        try:
            result = trace(self.index, snippet, top_k=5, verify_config=self.verify_config)
        except AuditorError:
            return []
        hits = []
        for m in result.matches:
            file_id = self.file_ids.get((m.source.repo_name, m.source.path))
            if file_id is not None:
                hits.append(Hit(file_id, float(m.score)))
        if result.matches:
            self.last_license = result.matches[0].source.license
        return hits

    def candidates(self, snippet: str, language: str) -> list[int]:
        """The corpus files auditor would verify for ``snippet``: its LSH candidates, re-ranked
        (for the LiCoEval re-ranking baseline, which must see the same candidates)."""
        from auditor.config import VerifyConfig
        from auditor.fingerprint import guess_language, tokenize
        from auditor.matching.trace import ranked_candidates

        fp = self.index.config.fingerprint
        toks = tokenize(snippet, guess_language(snippet), normalize_identifiers=fp.normalize_identifiers,
                        normalize_literals=fp.normalize_literals)
        if len(toks) == 0:
            return []
        out = []
        for _, files in ranked_candidates(self.index, toks, self.verify_config or VerifyConfig()):
            file_id = self.file_ids.get((files[0]["repo_name"], files[0]["path"]))
            if file_id is not None:
                out.append(file_id)
        return out


def source_files_for(packages: list[dict], files: list[CorpusFile]) -> Callable[[], Iterable]:
    """``(file_id, SourceFile)`` for every corpus file, read again from its package with
    ``auditor.corpus.iter_source`` so that it carries the package's licence evidence."""
    from auditor.corpus import iter_source

    wanted = {(f.package, f.path): f.file_id for f in files}

    def generate():
        for p in packages:
            if p.get("role") != "indexed":
                continue
            for sf in iter_source(str(p["spec"])):
                file_id = wanted.get((p["package"], sf.path))
                if file_id is not None:
                    yield file_id, sf

    return generate
