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
                workers: int | None = None, scan_headers: bool = True, show_progress: bool = True,
                executor: str = "local", ray_address: str | None = None,
                shard_dir: str | os.PathLike | None = None, keep_shards: bool = False):
    """Index corpus specs (files, dirs, archives, ``hf:`` ids, ``env``) into ``out``. Returns (manifest, stats).
    ``executor="ray"`` fingerprints, licences and reduces the band tables on Ray (``ray_address``:
    a running cluster; default: a local Ray instance); the index is the same as a local build's.
    ``shard_dir``: where the build's intermediate parquet shards go (default: inside the build's
    temporary directory); on a Ray cluster of several nodes, storage every node mounts. They are
    removed at the end, unless ``keep_shards`` (with ``shard_dir``) after a successful build."""
    from .index.builder import build
    from .pipeline import RayExecutor, make_executor

    ray = make_executor(executor, workers, ray_address)
    if not isinstance(ray, RayExecutor):
        ray = None
    try:
        return build(list(sources), out, config, workers=workers, scan_headers=scan_headers,
                     show_progress=show_progress, ray=ray, shard_dir=shard_dir, keep_shards=keep_shards)
    finally:
        if ray is not None and not ray_address:
            ray.shutdown()


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
    """Open an index directory or a ``redis://`` URL; ``None`` means the embedded env index (built if missing)."""
    from .index.reader import Index
    from .index.redis_store import RedisIndex, is_redis_url

    if path is not None and is_redis_url(path):
        return RedisIndex(str(path))
    if path is None:
        path = ensure_env_index(show_progress=show_progress)
    def announce():
        print(f"auditor: checking {path} against the sha256 in its manifest (first open only)", file=sys.stderr)

    return Index(path, announce=announce if show_progress else None)


def trace_snippet(text: str, index=None, *, top_k: int = 5, language: str | None = None,
                  verify_config: VerifyConfig | None = None, project_license: str | None = None) -> TraceResult:
    """Trace one snippet. ``index`` is an open Index, a directory, or None for the env index.
    ``project_license`` (SPDX, e.g. "GPL-2.0-only"): say for each match whether its source's
    licence can be combined into a project under that licence."""
    from .index.reader import Index
    from .matching.trace import trace

    if top_k < 1:
        raise AuditorError(f"--top-k must be at least 1, got {top_k}")
    if project_license is not None:
        from .licensing.compatibility import check_project_license

        project_license = check_project_license(project_license)
    if not isinstance(index, Index):
        index = open_index(index)
    return trace(index, text, top_k=top_k, language=language, verify_config=verify_config,
                 project_license=project_license)


def render(result: TraceResult, fmt: str = "text") -> str:
    from .report import RENDERERS

    try:
        return RENDERERS[fmt](result)
    except KeyError:
        raise AuditorError(f"unknown format {fmt!r}: choose one of {', '.join(RENDERERS)}") from None


def audit(queries: str | os.PathLike, out_dir: str | os.PathLike, index=None, *, id_column: str = "id",
          text_column: str = "text", model_column: str | None = None, prompt_column: str | None = None,
          license_answer_column: str | None = None, top_k: int = 5, workers: int | None = None,
          show_progress: bool = True, project_license: str | None = None, executor: str = "local",
          ray_address: str | None = None) -> dict:
    """Trace every row of a JSONL/CSV/parquet file, on ``workers`` processes (default: every core),
    resumably; write results.jsonl, results.parquet, summary.json and summary.md. Returns counts."""
    from .audit import Columns, run_audit
    from .index.reader import Index

    if project_license is not None:
        from .licensing.compatibility import check_project_license

        project_license = check_project_license(project_license)  # before an index is built
    if not isinstance(index, Index):
        index = open_index(index, show_progress=show_progress)
    return run_audit(queries, out_dir, index, columns=Columns(id_column, text_column, model_column, prompt_column, license_answer_column), top_k=top_k,
                     project_license=project_license, workers=workers, show_progress=show_progress,
                     executor=executor, ray_address=ray_address)

def verify_report(report, index=None):
    """Re-run the trace a JSON report (a path or its parsed dict) records, against ``index`` (an
    open Index, a directory, or None for the one the report names). Returns a
    :class:`auditor.report.confirm.Confirmation`: ``confirmed`` and the ``differences``."""
    from .report.confirm import confirm, load_report

    if not isinstance(report, dict):
        report = load_report(report)
    return confirm(report, index)


def review_patch(patch_text: str, index=None, *, project_license: str | None = None, top_k: int = 3,
                 show_progress: bool = True):
    """Trace the lines a unified diff adds, hunk by hunk (:mod:`auditor.review`). Returns a
    :class:`auditor.review.Review`; its ``exit_status`` is 1 when a hunk needs attention."""
    from .index.reader import Index
    from .review import parse_patch, review_patch as review

    if project_license is not None:
        from .licensing.compatibility import check_project_license

        project_license = check_project_license(project_license)
    parse_patch(patch_text)  # bad input is refused before an index is built
    if not isinstance(index, Index):
        index = open_index(index, show_progress=show_progress)
    return review(patch_text, index, project_license=project_license, top_k=top_k)


def membership(tree: str | os.PathLike, index=None, *, min_share: float | None = None, top: int = 5,
               show_progress: bool = True):
    """Which files of the source tree ``tree``, or near copies of them, ``index`` holds, and under
    which repository names (:mod:`auditor.membership`)."""
    from .index.reader import Index
    from .membership import MIN_SHARE, membership as lookup
    from .progress import progress_bar

    if not Path(tree).is_dir():
        raise AuditorError(f"{tree} is not a directory: give the root of your source tree")
    if not isinstance(index, Index):
        index = open_index(index, show_progress=show_progress)
    from .corpus.trees import walk_source_paths

    total = sum(1 for _ in walk_source_paths(Path(tree))) if show_progress else None
    with progress_bar("looking up", total=total, enabled=show_progress) as bar:
        return lookup(tree, index, min_share=MIN_SHARE if min_share is None else min_share, top=top,
                      progress=lambda: bar.advance(1))


def push_index(directory: str | os.PathLike, url: str, *, show_progress: bool = True) -> str:
    """Load an index directory into Redis (``redis://host:port/db``), to be queried there with
    ``--index URL`` by every user; returns its id."""
    from .index.redis_store import push

    return push(directory, url, show_progress=show_progress)
