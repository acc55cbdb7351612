"""Progress bars for long work, on stderr so stdout stays pipeable."""
from __future__ import annotations

from contextlib import contextmanager
import time


class _Silent:
    def advance(self, files: int = 1, nbytes: int = 0) -> None:
        pass


class _Rich:
    def __init__(self, progress, task):
        self._p, self._t = progress, task
        self._bytes = 0
        self._t0 = time.perf_counter()

    def advance(self, files: int = 1, nbytes: int = 0) -> None:
        self._bytes += nbytes
        mb_s = self._bytes / 1e6 / max(time.perf_counter() - self._t0, 1e-9)
        self._p.update(self._t, advance=files, rate=f"{mb_s:.1f} MB/s")


@contextmanager
def progress_bar(description: str, total: int | None = None, enabled: bool = True, unit: str = "files"):
    """A rich progress bar showing count, rate, MB/s and ETA; silent when disabled."""
    if not enabled:
        yield _Silent()
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)
    from rich.text import Text

    class RateColumn(ProgressColumn):
        # The average since the start: results arrive a batch at a time, and rich's own estimate
        # over the last few updates read a batch landing at once as 100,000 files/s.
        def render(self, task):
            elapsed = task.elapsed or 0.0
            speed = task.completed / elapsed if elapsed > 0.5 else None
            return Text(f"{speed:,.0f} {unit}/s" if speed else "", style="progress.data.speed")

    console = Console(stderr=True)
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn(unit),
               RateColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=console) as p:
        task = p.add_task(description, total=total, rate="")
        yield _Rich(p, task)
