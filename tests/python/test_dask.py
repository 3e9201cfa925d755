"""The Dask integration: a LocalCluster with two worker processes gives exactly the in-process
batch result."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import refmatch
import refmatch.dask

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

NOW = dt.date(2025, 6, 30)


def worker_state() -> dict:
    """Runs on a worker: which programs its process has cached."""
    return {"engines": len(refmatch.dask._CACHE)}


@pytest.mark.cluster
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_local_cluster_equals_in_process(sample_program: refmatch.Program,
                                         sample_engine: refmatch.Engine) -> None:
    frame = sample_program.prospects_frame()
    expected = sample_engine.match_batch(frame, k=5, now=NOW, activity="sales_call")
    prospects = dd.from_pandas(frame, npartitions=6)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        lazy = refmatch.dask.match_partitions(sample_program, prospects, k=5, now=NOW,
                                              activity="sales_call", threads=1)
        assert list(lazy.columns) == list(expected.columns)
        got = lazy.compute().reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        # Each worker process built the engine once, whatever the number of partitions.
        states = client.run(worker_state)
        assert sorted(s["engines"] for s in states.values()) == [1, 1]
        # An engine works too, and a second run reuses the cached program.
        again = refmatch.dask.match_partitions(sample_engine, prospects, k=5, now=NOW,
                                               activity="sales_call", threads=1).compute()
        pd.testing.assert_frame_equal(again.reset_index(drop=True), expected, check_exact=True)
        assert sorted(s["engines"] for s in client.run(worker_state).values()) == [1, 1]


def test_local_scheduler_and_errors(sample_program: refmatch.Program,
                                    sample_engine: refmatch.Engine) -> None:
    frame = sample_program.prospects_frame().iloc[:50]
    lazy = refmatch.dask.match_partitions(sample_program, dd.from_pandas(frame, npartitions=3),
                                          k=3, now=NOW)
    got = lazy.compute(scheduler="sync").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, sample_engine.match_batch(frame, k=3, now=NOW),
                                  check_exact=True)
    with pytest.raises(TypeError, match="expected a refmatch.Program or Engine, got str"):
        refmatch.dask.match_partitions("program", dd.from_pandas(frame, npartitions=1))
    with pytest.raises(TypeError, match="does not take 'progress'"):
        refmatch.dask.match_partitions(sample_program, dd.from_pandas(frame, npartitions=1),
                                       progress=True)
