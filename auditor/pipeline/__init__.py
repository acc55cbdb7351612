"""Steps that work on one shard (``run(rank, world_size)``) and the executors that run them.

:class:`LocalExecutor` runs the shards on this machine's cores and is resumable: a shard whose
output is already in place is not run again. A step must write its output atomically (temp file,
then rename), so that output existing means the shard finished.
"""
from .local import LocalExecutor

__all__ = ["LocalExecutor"]
