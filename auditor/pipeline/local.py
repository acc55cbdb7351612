"""Run a step's shards in a pool of local processes, skipping the shards already done."""
from __future__ import annotations

from collections.abc import Callable
import multiprocessing
import os
from typing import Protocol


class ShardStep(Protocol):
    def run(self, rank: int, world_size: int) -> int:
        """Do shard ``rank`` of ``world_size`` and write its output atomically; return how many
        items it handled (for the progress bar)."""

    def done(self, rank: int) -> bool:
        """Whether shard ``rank``'s output is already in place."""


def _run_one(args) -> tuple[int, int]:
    step, rank, world_size = args
    return rank, step.run(rank, world_size)


class LocalExecutor:
    """``workers`` processes (default: every core), started through a fork server where the
    platform has one (else spawned): never forked from this process, whose progress bar runs a
    thread, and a fork taken while another thread holds a lock can deadlock the child. Each worker
    opens what its step needs itself (an index opens by mmap, so the pages are shared anyway)."""

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)

    def run(self, step: ShardStep, world_size: int, on_done: Callable[[int, int], None] | None = None) -> list[int]:
        """Run every shard of ``step`` that is not done yet; return the ranks that were run.
        ``on_done(rank, items)`` is called in this process as each shard finishes."""
        todo = [rank for rank in range(world_size) if not step.done(rank)]
        if self.workers == 1 or len(todo) <= 1:
            for rank in todo:
                items = step.run(rank, world_size)
                if on_done:
                    on_done(rank, items)
            return todo
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        with multiprocessing.get_context(method).Pool(min(self.workers, len(todo))) as pool:
            for rank, items in pool.imap_unordered(_run_one, [(step, r, world_size) for r in todo]):
                if on_done:
                    on_done(rank, items)
        return todo
