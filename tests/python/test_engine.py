"""The engine from Python: hand-worked matches, options, batches, progress and cancellation,
threads, pickling, gap analysis."""

from __future__ import annotations

import datetime as dt
import io
import pickle
import signal
import threading

import numpy as np
import pandas as pd
import pytest
from tqdm import tqdm

import refmatch

NOW = dt.date(2025, 6, 30)
# Hand-worked scores of the prospect X below against the tiny program (conftest.py):
#   R1, R4: industry 1, product 2/3, geography 1, size 1           -> base 0.35 + 0.35*2/3 + 0.2 + 0.1
#   R2: industry 2*2/(3+3), product 1/3, geography 2*2/(3+3), size 1 - 1/5
#   R3: industry 0, product 1/3, geography 0, size 0 (unknown band)
R1_BASE = 0.35 + 0.35 * 2 / 3 + 0.20 + 0.10
R2_BASE = 0.35 * 2 / 3 + 0.35 / 3 + 0.20 * 2 / 3 + 0.10 * 0.8
R3_BASE = 0.35 / 3


def prospect_x(**changes: object) -> refmatch.Prospect:
    fields = dict(industry="A11", products=["p1", "p2", "p3"], country="DE", size=2)
    fields.update(changes)
    return refmatch.Prospect("X", **fields)


def test_match_hand_worked(tiny_program: refmatch.Program) -> None:
    engine = refmatch.Engine(tiny_program)
    results = engine.match(prospect_x(), k=10)
    assert [r.reference_id for r in results] == ["R1", "R4", "R2", "R3"]  # R5 is paused
    assert [r.final for r in results] == pytest.approx([R1_BASE, R1_BASE, R2_BASE, R3_BASE],
                                                       abs=1e-12)
    r2 = results[2]
    assert (r2.industry, r2.product, r2.geography, r2.size) == pytest.approx(
        (2 / 3, 1 / 3, 2 / 3, 0.8))
    assert r2.fatigue == 1.0 and r2.quota is None
    assert (r2.products_matched, r2.products_requested) == (1, 3)
    explanation = r2.to_dict()
    assert explanation["components"]["size"] == pytest.approx(0.8)
    assert explanation["weights"] == {"industry": 0.35, "product": 0.35, "geography": 0.2,
                                      "size": 0.1}
    assert "covers 1 of 3 products" in r2.reason
    assert [r.reference_id for r in engine.match(prospect_x(), k=2)] == ["R1", "R4"]


def test_match_with_activity_quota_and_cooldown(tiny_program: refmatch.Program) -> None:
    engine = refmatch.Engine(tiny_program)
    tiny_program.record_usage("R2", "sales_call", "2025-06-01")  # 1 of its own 2 uses
    tiny_program.record_usage("R4", "sales_call", "2025-06-27")  # within the 7-day cooldown
    results = engine.match(prospect_x(), k=10, activity="sales_call", now=NOW)
    # R3 does not consent to sales calls; R4 is cooling down; R2 is half used: fatigue 1 - 0.5*0.5.
    assert [r.reference_id for r in results] == ["R1", "R2"]
    assert results[1].final == pytest.approx(R2_BASE * 0.75, abs=1e-12)
    quota = results[1].quota
    assert (quota.used, quota.max_uses, quota.window_days, quota.utilisation) == (2 - 1, 2, 365, 0.5)
    assert quota.last_use == dt.date(2025, 6, 1)
    # The prospect's own activity applies when the options name none.
    same = engine.match(prospect_x(activity="sales_call"), k=10, now=NOW)
    assert [r.reference_id for r in same] == ["R1", "R2"]
    with pytest.raises(refmatch.ValidationError):
        engine.match(prospect_x(), k=10, activity="sales_call")  # no `now`


def test_filters_predicate_and_exclusions(tiny_program: refmatch.Program) -> None:
    engine = refmatch.Engine(tiny_program)
    ids = lambda rs: [r.reference_id for r in rs]  # noqa: E731
    assert ids(engine.match(prospect_x(), same_geography="country")) == ["R1", "R4"]
    assert ids(engine.match(prospect_x(), same_sector=True)) == ["R1", "R4", "R2"]
    assert ids(engine.match(prospect_x(), min_score=0.5)) == ["R1", "R4", "R2"]
    assert ids(engine.match(prospect_x(), exclusions=["R1"])) == ["R4", "R2", "R3"]
    assert ids(engine.match(prospect_x(exclusions=["R4"]))) == ["R1", "R2", "R3"]
    assert ids(engine.match(prospect_x(), predicate=lambda r: r.name != "One")) == ["R4", "R2", "R3"]
    assert ids(engine.match(prospect_x(), cover_all_products=True)) == []
    weighted = engine.match(prospect_x(), weights={"industry": 0, "product": 1, "geography": 0,
                                                   "size": 0})
    assert [r.final for r in weighted] == pytest.approx([2 / 3, 2 / 3, 1 / 3, 1 / 3])


def test_option_errors_are_verbatim(tiny_program: refmatch.Program) -> None:
    engine = refmatch.Engine(tiny_program)
    with pytest.raises(refmatch.ValidationError) as bad:
        engine.match(prospect_x(), weights=refmatch.ScoreWeights(product=-1))
    assert str(bad.value) == ("match options: field 'weights.product': expected a finite weight "
                              ">= 0, got '-1'")
    assert bad.value.field == "weights.product"
    with pytest.raises(refmatch.ValidationError, match="field 'fatigue_weight': expected a value"):
        engine.match(prospect_x(), fatigue_weight=1.5)
    with pytest.raises(ValueError, match="unknown weight 'colour'"):
        engine.match(prospect_x(), weights={"colour": 1.0})
    with pytest.raises(ValueError, match="unknown geography level 'planet'"):
        engine.match(prospect_x(), same_geography="planet")
    with pytest.raises(TypeError, match="not both"):
        engine.match(prospect_x(), options=refmatch.MatchOptions(), same_sector=True)
    with pytest.raises(refmatch.ValidationError, match="prospect 'X': field 'industry'"):
        engine.match(prospect_x(industry="Fintech"))
    with pytest.raises(refmatch.NotFoundError, match="no prospect 'nobody' in the store"):
        engine.match("nobody")
    with pytest.raises(ValueError, match="unknown kernel 'gpu'"):
        refmatch.Engine(tiny_program, kernel="gpu")


def test_refresh_sees_new_references(tiny_program: refmatch.Program) -> None:
    engine = refmatch.Engine(tiny_program)
    tiny_program.references.add(refmatch.ReferenceCustomer(
        "R0", industry="A11", products=["p1", "p2", "p3"], country="DE", size=2, status="active"))
    assert engine.stale and engine.match(prospect_x(), k=1)[0].reference_id == "R1"
    assert engine.refresh() and not engine.stale
    assert engine.match(prospect_x(), k=1)[0].final == pytest.approx(1.0)
    assert refmatch.match(tiny_program, prospect_x(), k=1)[0].reference_id == "R0"


# --- Batches -------------------------------------------------------------------------------------

def test_batch_frame_equals_single_matches(sample_program: refmatch.Program,
                                           sample_engine: refmatch.Engine) -> None:
    prospects = sample_program.prospects.all()[:60]
    frame = sample_engine.match_batch(prospects, k=5, now=NOW, threads=2)
    assert list(frame.columns) == ["prospect_id", "prospect_name", "rank", "reference_id",
                                   "reference_name", "final", "base", "industry", "product",
                                   "geography", "size", "fatigue", "used", "max_uses", "reason"]
    rows = []
    for p in prospects:
        for rank, r in enumerate(sample_engine.match(p, k=5, now=NOW), start=1):
            q = r.quota
            rows.append((p.id, p.name, rank, r.reference_id,
                         sample_program.references[r.reference_id].name, r.final, r.base,
                         r.industry, r.product, r.geography, r.size, r.fatigue,
                         None if q is None else q.used, None if q is None else q.max_uses,
                         r.reason))
    expected = pd.DataFrame(rows, columns=frame.columns)
    expected["rank"] = expected["rank"].astype(np.int32)
    for name in ("used", "max_uses"):
        expected[name] = expected[name].astype("Int64")
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    lists = sample_engine.match_batch(prospects, k=5, now=NOW, as_frame=False)
    assert [len(x) for x in lists] == frame.groupby("prospect_id", sort=False).size().tolist()


def test_batch_accepts_frames_arrays_ids_and_batches(sample_program: refmatch.Program,
                                                     sample_engine: refmatch.Engine) -> None:
    reference = sample_engine.match_batch(k=3, now=NOW)  # the whole pipeline
    assert reference["prospect_id"].nunique() == len(sample_program.prospects)
    frame = sample_program.prospects_frame()
    ids = frame["id"].to_numpy()
    batch = refmatch.prospects_from_frame(frame, sample_program.vocabulary)
    assert len(batch) == len(frame) and batch.ids == list(ids)
    for given in (frame, ids, list(ids), batch, {c: frame[c].to_numpy() for c in frame.columns}):
        got = sample_engine.match_batch(given, k=3, now=NOW)
        pd.testing.assert_frame_equal(got, reference, check_exact=True)
    assert refmatch.match_batch(sample_program, ids[:5], k=3, now=NOW).equals(
        reference[reference["prospect_id"].isin(ids[:5])].reset_index(drop=True))


def test_batch_results_do_not_depend_on_threads(sample_engine: refmatch.Engine) -> None:
    one = sample_engine.match_batch(k=4, now=NOW, threads=1)
    two = sample_engine.match_batch(k=4, now=NOW, threads=2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_progress_with_tqdm_and_callbacks(sample_engine: refmatch.Engine) -> None:
    bar = tqdm(file=io.StringIO(), disable=False)
    sample_engine.match_batch(k=2, now=NOW, progress=bar)
    assert bar.total == 500 and bar.n == 500
    calls: list[tuple[int, int]] = []
    sample_engine.match_batch(k=2, now=NOW, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (500, 500) and all(t == 500 for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


@pytest.mark.parametrize("threads", [1, 2])
def test_cancel_from_the_callback(sample_program: refmatch.Program,
                                  sample_engine: refmatch.Engine, threads: int) -> None:
    with pytest.raises(refmatch.MatchCancelled, match="match batch cancelled"):
        sample_engine.match_batch(k=2, now=NOW, threads=threads, progress=lambda d, t: False)

    def boom(done: int, total: int) -> None:
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        sample_engine.match_batch(k=2, now=NOW, threads=threads, progress=boom)


@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_raises_keyboard_interrupt_and_changes_nothing(
        sample_program: refmatch.Program, threads: int) -> None:
    program = sample_program.copy()
    engine = refmatch.Engine(program)
    before = (program.references.version, len(program.usage), len(program.prospects))
    big = program.prospects.all() * 4

    def press_ctrl_c(done: int, total: int) -> None:
        signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        engine.match_batch(big, k=2, now=NOW, threads=threads, progress=press_ctrl_c)
    assert (program.references.version, len(program.usage), len(program.prospects)) == before
    # The engine is still usable afterwards.
    assert len(engine.match_batch(big[:10], k=2, now=NOW)) == 20


def test_python_threads_match_in_parallel_with_serial_results(
        sample_program: refmatch.Program, sample_engine: refmatch.Engine) -> None:
    frame = sample_program.prospects_frame()
    chunks = [frame.iloc[i::4].reset_index(drop=True) for i in range(4)]
    serial = [sample_engine.match_batch(c, k=5, now=NOW, threads=1) for c in chunks]
    singles = {p.id: sample_engine.match(p, k=5, now=NOW) for p in sample_program.prospects.all()[:40]}
    results: dict = {}
    errors: list = []

    def work(i: int) -> None:
        try:
            results[i] = sample_engine.match_batch(chunks[i], k=5, now=NOW, threads=1)
            results[("single", i)] = {pid: sample_engine.match(pid, k=5, now=NOW)
                                      for pid in list(singles)[i::4]}
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(4):
        pd.testing.assert_frame_equal(results[i], serial[i], check_exact=True)
        for pid, got in results[("single", i)].items():
            assert [(r.reference_id, r.final) for r in got] == \
                   [(r.reference_id, r.final) for r in singles[pid]]


# --- Pickling ------------------------------------------------------------------------------------

def test_program_and_engine_pickle(sample_program: refmatch.Program,
                                   sample_engine: refmatch.Engine) -> None:
    expected = sample_engine.match_batch(k=3, now=NOW)
    program = pickle.loads(pickle.dumps(sample_program))
    assert repr(program) == repr(sample_program)
    assert program.references_frame().equals(sample_program.references_frame())
    assert program.usage_frame().equals(sample_program.usage_frame())
    engine = pickle.loads(pickle.dumps(sample_engine))
    assert engine.requested_kernel == "automatic"
    pd.testing.assert_frame_equal(engine.match_batch(k=3, now=NOW), expected, check_exact=True)
    pd.testing.assert_frame_equal(refmatch.Engine(program).match_batch(k=3, now=NOW), expected,
                                  check_exact=True)


def test_pickles_with_custom_taxonomies(tiny_program: refmatch.Program) -> None:
    tiny_program.record_usage("R2", "sales_call", "2025-06-01")
    copy = pickle.loads(pickle.dumps(tiny_program))
    assert copy.vocabulary.geography.similarity("DE", "FR") == pytest.approx(2 / 3)
    got = refmatch.Engine(copy).match(prospect_x(), k=10, activity="sales_call", now=NOW)
    want = refmatch.Engine(tiny_program).match(prospect_x(), k=10, activity="sales_call", now=NOW)
    assert [(r.reference_id, r.final) for r in got] == [(r.reference_id, r.final) for r in want]


def test_pickled_state_versions_are_checked(tiny_program: refmatch.Program) -> None:
    state = tiny_program.__getstate__()
    assert state.startswith(b"refmatch program state 2\n")
    assert refmatch._refmatch._PROGRAM_STATE_VERSION == 2
    fresh = refmatch.Program.__new__(refmatch.Program)
    with pytest.raises(refmatch.ParseError,
                       match="^program state:1: field 'version': expected version 2, got '1'$"):
        fresh.__setstate__(state.replace(b"state 2\n", b"state 1\n", 1))
    with pytest.raises(ValueError, match="^cannot unpickle Program: expected the bytes of a "
                                         "program state \\(version 2\\), got \\(1, "):
        fresh.__setstate__((1, {"products": b""}))
    reduce = refmatch.Engine(tiny_program).__reduce__()
    with pytest.raises(ValueError, match="cannot unpickle Engine: expected state version 1, got 7"):
        reduce[0](7, *reduce[1][1:])


# --- Gap analysis --------------------------------------------------------------------------------

def test_gaps_hand_worked(tiny_program: refmatch.Program) -> None:
    prospects = [prospect_x(deal_value=100.0),
                 refmatch.Prospect("Y", industry="B", products=["p4"], country="JP",
                                   deal_value=250.0),
                 refmatch.Prospect("Z", industry="A2", products=["p1"], country="SE",
                                   deal_value=40.0)]
    report = refmatch.Engine(tiny_program).gaps(prospects, threshold=0.5)
    # X: best R1 (0.883). Y: best R3 = 0.35*1 + 0.2*1 = 0.55 (same sector B, same country JP).
    # Z: best R1/R4: industry 2*1/(2+3), product 1, geography 2*1/(3+3), size 0 -> 0.14+0.35+0.0667.
    coverage = report.prospects_frame().set_index("prospect_id")
    assert coverage.loc["Y", "best_score"] == pytest.approx(0.55)
    assert coverage.loc["Z", "best_score"] == pytest.approx(0.35 * 0.4 + 0.35 + 0.2 / 3)
    assert coverage["covered"].to_dict() == {"X": True, "Y": True, "Z": True}
    strict = refmatch.Engine(tiny_program).gaps(prospects, threshold=0.6)
    assert strict.uncovered == 2 and strict.value_at_risk == 290.0
    cells = strict.cells_frame()
    assert cells.iloc[0]["sector"] == "B" and cells.iloc[0]["value_at_risk"] == 250.0
    heat = strict.heatmap()
    assert heat.loc["Sector B", "Asia"] == 250.0 and heat.loc["Sector A", "Europe"] == 40.0
    with pytest.raises(refmatch.ValidationError, match="field 'min_references': expected at least 1"):
        refmatch.analyse_gaps(tiny_program, prospects, min_references=0)


def test_ctrl_c_without_a_callback_stops_a_running_batch(tmp_path) -> None:
    """A real SIGINT, sent while the engine's threads work with the GIL released, is noticed by
    the engine's own progress check and raises KeyboardInterrupt."""
    import subprocess
    import sys
    import time

    script = tmp_path / "interrupted.py"
    script.write_text(
        "import datetime as dt, refmatch\n"
        "p = refmatch.generate_program(seed=1, references=100000, prospects=2000)\n"
        "e = refmatch.Engine(p)\n"
        "big = p.prospects.all() * 200\n"  # far longer than the test waits
        "print('started', flush=True)\n"
        "try:\n"
        "    e.match_batch(big, k=5, threads=2, explain=False, use_prospect_activity=False)\n"
        "    print('completed', flush=True)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', len(p.usage), p.references.version, flush=True)\n")
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "started"
        time.sleep(0.3)
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=60)
    finally:
        child.kill()
    program = refmatch.generate_program(seed=1, references=100000, prospects=2000)
    assert out.split() == ["interrupted", str(len(program.usage)), str(program.references.version)]
