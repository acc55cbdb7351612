"""Steps that work on one shard (``run(rank, world_size)``) and the executors that run them.

:class:`LocalExecutor` runs the shards on this machine's cores and is resumable: a shard whose
output is already in place is not run again. A step must write its output atomically (temp file,
then rename), so that output existing means the shard finished. :class:`RayExecutor` runs the
same steps as Ray tasks (the ``auditor[ray]`` extra).
"""
from .local import LocalExecutor
from .ray_executor import RayExecutor, make_executor

__all__ = ["LocalExecutor", "RayExecutor", "make_executor"]
