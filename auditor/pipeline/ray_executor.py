"""Run the same steps on a Ray cluster: the shards of a step (an audit), or the batches of an
index build, as Ray tasks. Nothing here is a second copy of the pipeline: the step objects and
the build's batch function are the ones :class:`~auditor.pipeline.LocalExecutor` runs.

Ray is the ``auditor[ray]`` extra. ``address=None`` starts a local Ray instance with
``workers`` CPUs; ``"auto"`` or ``"ray://host:10001"`` joins a running cluster.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from ..errors import AuditorError


def _ray():
    try:
        import ray
    except ImportError:
        raise AuditorError("the Ray executor needs the ray extra: pip install 'auditor[ray]'") from None
    return ray


def _unwrap(e: Exception) -> AuditorError:
    """A failed task's error: its AuditorError as raised (one line for the user), else one line."""
    cause = getattr(e, "cause", None)
    return (cause if isinstance(cause, AuditorError) else
            AuditorError(f"a Ray task failed: {' '.join(str(cause or e).split())[:200]}"))


def _run_shard(step, rank: int, world_size: int) -> tuple[int, int]:
    return rank, step.run(rank, world_size)


def _call(fn, args):
    return fn(*args)


class RayExecutor:
    def __init__(self, workers: int | None = None, address: str | None = None):
        ray = _ray()
        self.workers = workers
        if not ray.is_initialized():
            try:
                if address:
                    ray.init(address=address, log_to_driver=False, configure_logging=False)
                else:
                    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                             configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise AuditorError(f"cannot start or reach Ray{f' at {address}' if address else ''}: "
                                   f"{' '.join(str(e).split())[:200]}") from None
        self._shard = ray.remote(_run_shard)
        self._call = ray.remote(_call)
        self._submitted: list = []

    def run(self, step, world_size: int, on_done: Callable[[int, int], None] | None = None) -> list[int]:
        """Run every shard of ``step`` not done yet as a Ray task; same contract as LocalExecutor.run."""
        ray = _ray()
        todo = [rank for rank in range(world_size) if not step.done(rank)]
        pending = [self._shard.remote(step, rank, world_size) for rank in todo]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            try:
                rank, items = ray.get(ready[0])
            except ray.exceptions.RayTaskError as e:
                for ref in pending:
                    ray.cancel(ref)
                raise _unwrap(e) from None
            if on_done:
                on_done(rank, items)
        return todo

    def submit(self, fn, *args) -> Future:
        """``fn(*args)`` as a Ray task, as a concurrent.futures Future (the build's worker pool);
        a task's failure is raised as :func:`_unwrap` gives it, as :meth:`run` does."""
        ray = _ray()
        outer: Future = Future()

        def done(inner: Future) -> None:
            try:
                outer.set_result(inner.result())
            except ray.exceptions.RayTaskError as e:
                outer.set_exception(_unwrap(e))
            except BaseException as e:
                outer.set_exception(e)

        ref = self._call.remote(fn, args)
        # the unfinished ones only: a finished future holds its result, which is not ours to keep
        self._submitted = [(r, o) for r, o in self._submitted if not o.done()] + [(ref, outer)]
        ref.future().add_done_callback(done)
        return outer

    def cancel_unfinished(self) -> None:
        """Cancel the submitted tasks that have not finished (a build that failed: its staging
        directory is about to be removed, and they would go on writing into it)."""
        ray = _ray()
        for ref, outer in self._submitted:
            if not outer.done():
                try:
                    ray.cancel(ref)
                except Exception:  # already finished or gone: nothing to cancel
                    pass
        self._submitted.clear()

    def shutdown(self) -> None:
        ray = _ray()
        if ray.is_initialized():
            ray.shutdown()


def make_executor(kind: str, workers: int | None = None, address: str | None = None):
    """``local`` or ``ray``: the executor a command's ``--executor`` names."""
    if kind == "local":
        if address:
            raise AuditorError("--ray-address needs --executor ray")
        from .local import LocalExecutor

        return LocalExecutor(workers)
    if kind == "ray":
        return RayExecutor(workers, address)
    raise AuditorError(f"unknown executor {kind!r}: choose local or ray")
