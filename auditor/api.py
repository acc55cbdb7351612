"""The stable library facade. The CLI and notebooks call only these functions.

>>> from auditor import api
>>> result = api.trace_snippet(open("generated.py").read())      # against the embedded env index
>>> print(api.render(result, "text"))
"""
from __future__ import annotations

import os
from pathlib import Path
import sys

from .config import FingerprintConfig, IndexConfig, LSHConfig, VerifyConfig
from .errors import AuditorError
from .models import TraceResult

ENV_SPEC = "env"


def build_index(sources: list[str], out: str | os.PathLike, config: IndexConfig | None = None, *,
                workers: int | None = None, scan_headers: bool = True, show_progress: bool = True):
    """Index corpus specs (files, dirs, archives, ``hf:`` ids, ``env``) into ``out``. Returns (manifest, stats)."""
    from .index.builder import build

    return build(list(sources), out, config, workers=workers, scan_headers=scan_headers, show_progress=show_progress)


def make_config(*, shingle: int | None = None, window: int | None = None, stride: int | None = None,
                num_perm: int | None = None, threshold: float | None = None) -> IndexConfig:
    d = FingerprintConfig()
    fp = FingerprintConfig(shingle=shingle or d.shingle, window=window or d.window, stride=stride or d.stride,
                           num_perm=num_perm or d.num_perm)
    lsh = LSHConfig(threshold=threshold if threshold is not None else LSHConfig.threshold, num_perm=fp.num_perm)
    return IndexConfig(fp, lsh)


def env_index_path(config: IndexConfig | None = None) -> Path:
    """Where the embedded index of the running Python environment is cached."""
    from platformdirs import user_cache_dir

    from .corpus.environment import env_fingerprint

    config = config or IndexConfig()
    root = Path(os.environ.get("AUDITOR_CACHE_DIR") or user_cache_dir("auditor"))
    return root / "env-index" / f"{env_fingerprint()}-{config.tag}"


def ensure_env_index(*, show_progress: bool = True, rebuild: bool = False) -> Path:
    """The embedded default index: built on first use (with a progress bar), then reused."""
    from .index.layout import TABLES

    path = env_index_path()
    # An index cached by an older auditor may lack a table this one reads: rebuild it.
    if not rebuild and (path / "manifest.json").is_file() and all((path / t).is_file() for t in TABLES):
        return path
    from .corpus.environment import count_env_files
    from .index.builder import build

    if show_progress:
        print(f"auditor: indexing this Python environment (first use only) into {path}", file=sys.stderr)
    # Installed distributions declare their licence in their metadata and licence files; scanning
    # thousands of file headers with ScanCode would make first use take many minutes.
    _, stats = build([ENV_SPEC], path, IndexConfig(), show_progress=show_progress, scan_headers=False,
                     progress_total=count_env_files()[0])
    if show_progress:
        print(f"auditor: {stats.summary()}", file=sys.stderr)
    return path


def open_index(path: str | os.PathLike | None = None, *, show_progress: bool = True):
    """Open an index directory; ``None`` means the embedded env index (built if missing)."""
    from .index.reader import Index

    if path is None:
        path = ensure_env_index(show_progress=show_progress)
    return Index(path)


def trace_snippet(text: str, index=None, *, top_k: int = 5, language: str | None = None,
                  verify_config: VerifyConfig | None = None) -> TraceResult:
    """Trace one snippet. ``index`` is an open Index, a directory, or None for the env index."""
    from .index.reader import Index
    from .matching.trace import trace

    if top_k < 1:
        raise AuditorError(f"--top-k must be at least 1, got {top_k}")
    if not isinstance(index, Index):
        index = open_index(index)
    return trace(index, text, top_k=top_k, language=language, verify_config=verify_config)


def render(result: TraceResult, fmt: str = "text") -> str:
    from .report import RENDERERS

    try:
        return RENDERERS[fmt](result)
    except KeyError:
        raise AuditorError(f"unknown format {fmt!r}: choose one of {', '.join(RENDERERS)}") from None


def audit(queries: str | os.PathLike, out_dir: str | os.PathLike, index=None, *, id_column: str = "id",
          text_column: str = "text", model_column: str | None = None, prompt_column: str | None = None,
          license_answer_column: str | None = None, top_k: int = 5, workers: int | None = None,
          show_progress: bool = True) -> dict:
    """Trace every row of a JSONL/CSV/parquet file, on ``workers`` processes (default: every core),
    resumably; write results.jsonl, results.parquet, summary.json and summary.md. Returns counts."""
    from .audit import Columns, run_audit
    from .index.reader import Index

    if not isinstance(index, Index):
        index = open_index(index, show_progress=show_progress)
    return run_audit(queries, out_dir, index, columns=Columns(id_column, text_column, model_column, prompt_column, license_answer_column), top_k=top_k,
                     workers=workers, show_progress=show_progress)

def verify_report(report, index=None):
    """Re-run the trace a JSON report (a path or its parsed dict) records, against ``index`` (an
    open Index, a directory, or None for the one the report names). Returns a
    :class:`auditor.report.confirm.Confirmation`: ``confirmed`` and the ``differences``."""
    from .report.confirm import confirm, load_report

    if not isinstance(report, dict):
        report = load_report(report)
    return confirm(report, index)
