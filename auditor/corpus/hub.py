"""Hugging Face hub datasets, streamed: ``hf:owner/name[:config][@split]``.

``hf:bigcode/the-stack-smol`` streams the train split through ``datasets.load_dataset(..., streaming=True)``;
nothing is downloaded whole. ``datasets`` is imported only here. Without a network (or with
``HF_HUB_OFFLINE``/``HF_DATASETS_OFFLINE`` set) every entry point raises one AuditorError line.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import os
import re

from auditor.corpus.files import ReadStats, one_line
from auditor.corpus.stack_rows import detect_layout, row_mapper
from auditor.errors import AuditorError
from auditor.models import SourceFile

PREFIX = "hf:"
_SPEC = re.compile(r"^hf:(?P<name>[\w.-]+/[\w.-]+|[\w.-]+)(?::(?P<config>[^@]+))?(?:@(?P<split>[\w.\[\]:%+-]+))?$")
_OFFLINE_VARS = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


@dataclass(frozen=True)
class HubSpec:
    name: str
    config: str | None = None
    split: str = "train"


def is_hub_spec(spec: str) -> bool:
    return spec.startswith(PREFIX)


def parse_hub_spec(spec: str) -> HubSpec:
    m = _SPEC.match(spec.strip())
    if not m:
        raise AuditorError(f"not a hub dataset id: {spec!r} (expected hf:owner/name[:config][@split])")
    return HubSpec(m["name"], m["config"] or None, m["split"] or "train")


def offline_reason() -> str | None:
    """Which environment variable puts the hub offline, if any."""
    for var in _OFFLINE_VARS:
        if os.environ.get(var, "").strip().upper() in ("1", "ON", "YES", "TRUE"):
            return f"{var} is set"
    return None


def unreachable(hub: HubSpec, why: str) -> AuditorError:
    return AuditorError(f"cannot reach the Hugging Face hub for {hub.name}: {why} (offline?)")


def _translate(hub: HubSpec, e: BaseException) -> AuditorError:
    """One line for whatever ``datasets``/``huggingface_hub`` raised while opening or streaming."""
    name = type(e).__name__
    if name in ("DatasetNotFoundError", "RepositoryNotFoundError"):
        return AuditorError(
            f"no dataset {hub.name} on the Hugging Face hub, or it is gated/private: "
            f"check the name, accept its terms and log in (hf auth login)"
        )
    if name == "GatedRepoError":
        return AuditorError(f"{hub.name} is gated on the Hugging Face hub: accept its terms and log in (hf auth login)")
    if isinstance(e, ValueError) and ("split" in str(e).lower() or "config" in str(e).lower()):
        return AuditorError(f"{hub.name}: {one_line(e)}")
    return unreachable(hub, one_line(e))


def check_hub(hub: HubSpec) -> None:
    """Fail early, in about a tenth of a second, when the dataset cannot be reached."""
    reason = offline_reason()
    if reason:
        raise unreachable(hub, reason)
    from huggingface_hub import HfApi  # far lighter than datasets

    try:
        HfApi().dataset_info(hub.name, timeout=15)
    except Exception as e:  # network libraries raise many unrelated types; all mean "cannot use it"
        raise _translate(hub, e) from None


def iter_hub(spec: str, *, stats: ReadStats) -> Iterator[SourceFile]:
    hub = parse_hub_spec(spec)
    reason = offline_reason()
    if reason:
        # datasets reads these variables once, at import; checking them here also keeps a late
        # setting (and a test's monkeypatch) effective, and spares the import.
        raise unreachable(hub, reason)
    import datasets

    try:
        ds = datasets.load_dataset(hub.name, hub.config, split=hub.split, streaming=True)
    except (OSError, ValueError, RuntimeError) as e:  # ConnectionError and DatasetNotFoundError are OSErrors
        raise _translate(hub, e) from None
    except Exception as e:
        if type(e).__module__.split(".")[0] in ("huggingface_hub", "datasets", "httpx", "httpx2", "requests", "fsspec"):
            raise _translate(hub, e) from None
        raise
    rows = iter(ds)
    to_source = None
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except (OSError, RuntimeError) as e:
            raise _translate(hub, e) from None
        if to_source is None:
            columns = ds.column_names or list(row.keys())
            to_source = row_mapper(detect_layout(columns, spec), default_repo=hub.name, stats=stats)
        sf = to_source(row)
        if sf is not None:
            yield sf
