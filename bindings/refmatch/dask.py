"""Matching a Dask DataFrame of prospects on a Dask cluster.

:func:`match_partitions` maps :meth:`refmatch.Engine.match_batch` over the partitions of a
``dask.dataframe.DataFrame`` of prospects. The program travels once per worker process: it is
pickled once (refmatch's versioned pickle: the program's tables as JSON text), put into the graph as
a single task, and every worker that runs a partition fetches that task's result once; a
worker-side cache keyed by the program's SHA-256 deserialises it and builds the engine once per
process, so later partitions and later calls with the same program reuse it.

Example, with a real cluster (``dask scheduler`` / ``dask worker tcp://...`` started elsewhere)::

    from distributed import Client
    import dask.dataframe as dd
    import refmatch, refmatch.dask

    client = Client("tcp://scheduler:8786")
    program = refmatch.load_program("/data/program")
    prospects = dd.read_parquet("s3://pipeline/prospects/")   # columns of prospects.csv
    result = refmatch.dask.match_partitions(program, prospects, k=10,
                                            now=datetime.date.today())
    result.to_parquet("s3://pipeline/matches/")

See docs/python.md ("Dask") for how it scales.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from typing import Any

import pandas as pd

from refmatch._engine import RESULT_COLUMNS
from refmatch._refmatch import Engine, Program

__all__ = ["match_partitions", "result_meta", "clear_worker_cache"]

# Engines built on this process, by program hash (most recently used last).
_CACHE: "OrderedDict[str, Engine]" = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def result_meta() -> pd.DataFrame:
    """An empty DataFrame with the columns and dtypes of a batch result (Dask's ``meta``)."""
    return pd.DataFrame({
        "prospect_id": pd.Series(dtype=object), "prospect_name": pd.Series(dtype=object),
        "rank": pd.Series(dtype="int32"), "reference_id": pd.Series(dtype=object),
        "reference_name": pd.Series(dtype=object), "final": pd.Series(dtype="float64"),
        "base": pd.Series(dtype="float64"), "industry": pd.Series(dtype="float64"),
        "product": pd.Series(dtype="float64"), "geography": pd.Series(dtype="float64"),
        "size": pd.Series(dtype="float64"), "fatigue": pd.Series(dtype="float64"),
        "used": pd.Series(dtype="Int64"), "max_uses": pd.Series(dtype="Int64"),
        "reason": pd.Series(dtype=object)}, columns=list(RESULT_COLUMNS))


def clear_worker_cache() -> None:
    """Forgets the engines cached in this process."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _engine(key: str, blob: bytes, kernel: str) -> Engine:
    with _CACHE_LOCK:
        engine = _CACHE.get(key)
        if engine is not None:
            _CACHE.move_to_end(key)
            return engine
    engine = Engine(pickle.loads(blob), kernel=kernel)
    with _CACHE_LOCK:
        _CACHE[key] = engine
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return engine


def _match_partition(partition: pd.DataFrame, blob: bytes, key: str, kernel: str, k: int,
                     threads: int, options: dict) -> pd.DataFrame:
    if len(partition) == 0:
        return result_meta()
    engine = _engine(key, blob, kernel)
    return engine.match_batch(partition.reset_index(drop=True), k, threads=threads, **options)


def match_partitions(program: Program | Engine, prospects: Any, k: int = 10, *,
                     threads: int = 0, **options: Any) -> Any:
    """Matches a Dask DataFrame of prospects partition by partition on the workers.

    program: a Program (or an Engine: its program and kernel are used). prospects: a
    ``dask.dataframe.DataFrame`` with the columns of prospects.csv (as for
    :meth:`refmatch.Engine.match_batch`). k, threads (per partition; 0 = every core of the
    worker) and the match options (activity, now, weights, ...) as :meth:`Engine.match_batch`;
    options must pickle (a predicate must be a module-level function).

    Returns a lazy Dask DataFrame with the columns of a batch result, partition i holding the
    matches of partition i's prospects in their order, so ``.compute()`` equals
    ``Engine(program).match_batch(prospects.compute(), k, ...)`` up to the index (each partition's
    index starts at 0; use ``reset_index(drop=True)``). Works with any scheduler; with
    ``distributed``, the program is shipped to each worker once.
    """
    import dask

    kernel = "automatic"
    if isinstance(program, Engine):
        kernel = program.requested_kernel
        program = program.program
    if not isinstance(program, Program):
        raise TypeError(f"expected a refmatch.Program or Engine, got {type(program).__name__}")
    for name in ("as_frame", "progress"):
        if name in options:
            raise TypeError(f"match_partitions does not take {name!r}")
    blob = pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL)
    key = hashlib.sha256(blob).hexdigest()
    shipped = dask.delayed(blob, name=f"refmatch-program-{key}", pure=True)
    return prospects.map_partitions(_match_partition, shipped, key, kernel, k, threads, options,
                                    meta=result_meta(), align_dataframes=False,
                                    enforce_metadata=False)
