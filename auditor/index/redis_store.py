"""An index served from Redis: ``auditor index push DIR redis://...`` and ``--index redis://...``.

One Redis holds the index for every user, who then need no copy of it. The layout is our own
(datasketch's ``MinHashLSH`` Redis storage keeps one Redis set per bucket and key of every
band and cannot hold our windows, spans and contents; see docs/scale.md for the figures):

```
auditor:latest                     id of the index pushed last
auditor:{id}:manifest              the manifest file's bytes (so its sha256 is the same)
auditor:{id}:band:{b}              hash: 8-byte band key -> its window ids (uint32, little-endian)
auditor:{id}:array:{name}:{part}   each .npy table's raw rows, in parts of at most 64 MiB
auditor:{id}:file:{name}:{part}    content.bin, files.jsonl and texts.jsonl, likewise
```

A query reads band hashes with one HMGET per band and table rows with GETRANGE, in
pipelines: a handful of round trips per snippet. Band keys shared by more than
``MAX_POSTINGS`` windows are not pushed, since the query skips them anyway.
:class:`RedisIndex` is an :class:`~auditor.index.reader.Index` whose tables are
:class:`RemoteArray` views, so tracing runs the same code on it as on a directory.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import numpy as np

from ..config import IndexConfig
from ..errors import AuditorError
from .layout import ARRAYS, MANIFEST, SCHEMA
from .reader import MAX_POSTINGS, Index, language_names

PART_BYTES = 64 * 2**20
_FILES = ("content.bin", "files.jsonl", "texts.jsonl")


def public_url(url: str) -> str:
    """``url`` without its user and password: what reports and messages show."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


def _client(url: str):
    try:
        import redis
    except ImportError:
        raise AuditorError("an index in Redis needs the redis extra: pip install 'auditor[redis]'") from None
    parts = urlsplit(url)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    try:
        client = redis.Redis.from_url(base, socket_connect_timeout=5, socket_timeout=60)
        client.ping()
    except (redis.RedisError, ValueError) as e:
        raise AuditorError(f"cannot reach Redis at {public_url(base)}: {' '.join(str(e).split())[:200]}") from None
    return client, (parse_qs(parts.query).get("index") or [None])[0]


def is_redis_url(spec) -> bool:
    return str(spec).startswith(("redis://", "rediss://", "unix://"))


class _Bytes:
    """A byte string stored in parts; ``read(a, b)`` fetches bytes a..b with GETRANGE."""

    def __init__(self, client, key: str, size: int):
        self.client, self.key, self.size = client, key, size

    def read_many(self, spans: list[tuple[int, int]]) -> list[bytes]:
        pipe = self.client.pipeline(transaction=False)
        plan = []
        for a, b in spans:
            pieces = []
            while a < b:
                part, off = divmod(a, PART_BYTES)
                n = min(b - a, PART_BYTES - off)
                pipe.getrange(f"{self.key}:{part}", off, off + n - 1)
                pieces.append(n)
                a += n
            plan.append(len(pieces))
        got = pipe.execute() if any(plan) else []
        out, k = [], 0
        for n in plan:
            out.append(b"".join(got[k:k + n]))
            k += n
        return out

    def read(self, a: int, b: int) -> bytes:
        return self.read_many([(a, b)])[0]


class RemoteArray:
    """A read-only view of an ``.npy`` table kept in Redis, indexed like the numpy array it
    was: a row, a slice of rows, an array of row ids, with an optional column. Rows are
    fetched in blocks of ``block_rows`` and cached, so a walk over neighbouring windows costs
    one round trip."""

    def __init__(self, client, key: str, dtype: np.dtype, shape: tuple, block_rows: int = 1024):
        self.dtype, self.shape = np.dtype(dtype), tuple(shape)
        self.ndim = len(self.shape)
        self._row = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize
        self._bytes = _Bytes(client, key, self.shape[0] * self._row if self.shape else 0)
        self._block = max(1, block_rows)
        self._cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self.shape[0]

    def _blocks(self, blocks: list[int]) -> None:
        missing = [b for b in dict.fromkeys(blocks) if b not in self._cache]
        if not missing:
            return
        if len(self._cache) > 4096:
            self._cache.clear()
        spans = [(b * self._block * self._row, min(len(self), (b + 1) * self._block) * self._row) for b in missing]
        for b, data in zip(missing, self._bytes.read_many(spans)):
            self._cache[b] = np.frombuffer(data, dtype=self.dtype).reshape((-1,) + self.shape[1:])

    def rows(self, ids) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64).ravel()
        if len(ids) and (ids.min() < 0 or ids.max() >= len(self)):
            raise IndexError("row out of range")
        if self._block == 1:  # big rows (signatures): fetch exactly the rows asked for
            uniq, inverse = np.unique(ids, return_inverse=True)
            data = self._bytes.read_many([(int(i) * self._row, (int(i) + 1) * self._row) for i in uniq])
            table = np.frombuffer(b"".join(data), dtype=self.dtype).reshape((-1,) + self.shape[1:])
            return table[inverse] if len(ids) else np.empty((0,) + self.shape[1:], self.dtype)
        blocks = (ids // self._block).tolist()
        self._blocks(blocks)
        out = np.empty((len(ids),) + self.shape[1:], dtype=self.dtype)
        for k, (i, b) in enumerate(zip(ids.tolist(), blocks)):
            out[k] = self._cache[b][i - b * self._block]
        return out

    def __getitem__(self, key):
        col = None
        if isinstance(key, tuple):
            key, col = key[0], key[1] if len(key) > 1 else None
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1:
                raise IndexError("RemoteArray slices take no step")
            if self._block == 1 or stop - start > 4 * self._block:
                data = self._bytes.read(start * self._row, max(start, stop) * self._row)
                got = np.frombuffer(data, dtype=self.dtype).reshape((-1,) + self.shape[1:])
            else:
                got = self.rows(np.arange(start, stop))
        elif isinstance(key, (int, np.integer)):
            i = int(key) + (len(self) if key < 0 else 0)
            got = self.rows([i])[0]
        else:
            got = self.rows(key)
        if col is not None:
            got = got[..., col] if not isinstance(key, (int, np.integer)) else got[col]
        return got


def push(directory: str | Path, url: str, *, show_progress: bool = True) -> str:
    """Load the index in ``directory`` into the Redis at ``url``; returns its id."""
    index = Index(directory)  # verified against its manifest before it is shared
    client, _ = _client(url)
    prefix = f"auditor:{index.id}"
    pipe = client.pipeline(transaction=False)
    for name in ARRAYS:
        arr = np.load(Path(directory) / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        _put_bytes(pipe, f"{prefix}:array:{name}", memoryview(np.ascontiguousarray(arr)).cast("B"))
    for name in _FILES:
        data = np.memmap(Path(directory) / name, dtype=np.uint8, mode="r") if (Path(directory) / name).stat().st_size \
            else np.empty(0, np.uint8)
        _put_bytes(pipe, f"{prefix}:file:{name}", memoryview(data))
    lsh = index.config.lsh
    for b in range(lsh.bands):
        keys = np.asarray(index.band_keys[b])
        wins = np.asarray(index.band_windows[b]).astype("<u4")
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], len(keys)]
        mapping = {}
        for s, e in zip(starts.tolist(), ends.tolist()):
            if e - s <= MAX_POSTINGS:
                mapping[keys[s].tobytes()] = wins[s:e].tobytes()
            if len(mapping) >= 20000:
                client.hset(f"{prefix}:band:{b}", mapping=mapping)
                mapping = {}
        if mapping:
            client.hset(f"{prefix}:band:{b}", mapping=mapping)
    shapes = {name: {"dtype": getattr(index, name).dtype.str, "shape": list(getattr(index, name).shape)}
              for name in ARRAYS}
    sizes = {name: (Path(directory) / name).stat().st_size for name in _FILES}
    client.set(f"{prefix}:layout", json.dumps({"arrays": shapes, "files": sizes}))
    client.set(f"{prefix}:manifest", (Path(directory) / MANIFEST).read_bytes())  # last: the index is complete
    client.set("auditor:latest", index.id)
    index.close()
    return index.id


def _put_bytes(pipe, key: str, data: memoryview) -> None:
    """Each part sent on its own, so the client holds one part at a time, not the index."""
    n = len(data)
    for part, a in enumerate(range(0, max(n, 1), PART_BYTES)):
        pipe.set(f"{key}:{part}", bytes(data[a:a + PART_BYTES]))
        pipe.execute()


class RedisIndex(Index):
    """An index read from Redis (``redis://host:port/db``, ``?index=ID`` for one other than the
    latest pushed)."""

    def __init__(self, url: str):  # noqa: D401 - no call to Index.__init__: nothing is on disk
        self.url = url
        self.client, wanted = _client(url)
        index_id = wanted or (self.client.get("auditor:latest") or b"").decode()
        raw = self.client.get(f"auditor:{index_id}:manifest") if index_id else None
        if raw is None:
            raise AuditorError(f"no auditor index {index_id or ''} in Redis at {public_url(url)}: push one with "
                               "'auditor index push DIR URL'".replace("  ", " "))
        self._manifest_sha256 = hashlib.sha256(raw).hexdigest()
        try:
            self.manifest = json.loads(raw)
            self.config = IndexConfig.from_dict(self.manifest.get("config", {}))
            self._language_names = language_names(self.manifest, public_url(url))
            self.prefix = f"auditor:{self.manifest['id']}"
            layout = json.loads(self.client.get(f"{self.prefix}:layout"))
            layout["arrays"], layout["files"]  # noqa: B018 - both must be there
        except (ValueError, TypeError, KeyError, AttributeError):
            raise AuditorError(f"the index {index_id} in Redis at {public_url(url)} is incomplete or damaged: "
                               "push it again") from None
        if self.manifest.get("schema") != SCHEMA or any(name not in layout["arrays"] for name in ARRAYS):
            raise AuditorError(f"the index {index_id} in Redis at {public_url(url)} has schema "
                               f"{self.manifest.get('schema')!r}, this auditor reads {SCHEMA!r}: rebuild it and push it again")
        for name, spec in layout["arrays"].items():
            rows = 1 if name == "signatures" else 1024
            setattr(self, name, RemoteArray(self.client, f"{self.prefix}:array:{name}", np.dtype(spec["dtype"]),
                                            spec["shape"], block_rows=rows))
        self._content = RemoteArray(self.client, f"{self.prefix}:file:content.bin", np.uint8,
                                    (layout["files"]["content.bin"],), block_rows=1 << 16)
        self._files = _Bytes(self.client, f"{self.prefix}:file:files.jsonl", layout["files"]["files.jsonl"])
        self._texts = _Bytes(self.client, f"{self.prefix}:file:texts.jsonl", layout["files"]["texts.jsonl"])
        self.path = Path(url)
        self._files_fh = self._texts_fh = None
        self._description = None
        self._blob_lookup = None
        self._init_caches()

    def close(self) -> None:
        self.client.close()

    @property
    def location(self) -> str:
        return public_url(self.url)  # never the password

    def _content_bytes(self, a: int, b: int) -> bytes:
        return self._content._bytes.read(a, b)

    def ascii_windows(self, blobs, starts, ends):
        return None  # the content is in Redis: windows are fetched and decoded one by one

    def _read_file_row(self, file_id: int) -> dict:
        a, b = (int(x) for x in self.files_offsets[file_id:file_id + 2])
        return json.loads(self._files.read(a, b))

    def text(self, text_id: int | None) -> str | None:
        if text_id is None or text_id < 0:
            return None
        a, b = (int(x) for x in self.texts_offsets[text_id:text_id + 2])
        return json.loads(self._texts.read(a, b))["text"]

    def _postings(self, qkeys: np.ndarray, n_queries: int) -> list[np.ndarray]:
        """One HMGET per band, all in one pipeline: the pushed band hashes hold only keys with at
        most MAX_POSTINGS windows, as the on-disk lookup keeps."""
        pipe = self.client.pipeline(transaction=False)
        for b in range(len(qkeys)):
            pipe.hmget(f"{self.prefix}:band:{b}", [k.tobytes() for k in qkeys[b]])
        found = []
        for values in pipe.execute():
            for q, v in enumerate(values):
                if v:
                    found.append(np.frombuffer(v, dtype="<u4").astype(np.int64) * n_queries + q)
        return found
