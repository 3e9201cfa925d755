"""Engine.assign against an independent min-cost flow solved by networkx on the full graph
(every eligible pair, one node per use a reference can still take), and the frames it returns."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import pandas as pd
import pytest

import refmatch

NOW = dt.date(2025, 6, 30)
SCALE = 10**7


def networkx_optimum(engine: refmatch.Engine, prospects: list, counts: list,
                     fatigue_weight: float = 0.5) -> float:
    """The best total score by networkx's network simplex, from the engine's eligible lists."""
    g = nx.DiGraph()
    total = sum(counts)
    g.add_node("s", demand=-total)
    g.add_node("t", demand=total)
    g.add_edge("s", "t", capacity=total, weight=0)
    for i, (p, count) in enumerate(zip(prospects, counts)):
        g.add_edge("s", ("d", i), capacity=count, weight=0)
        for r in engine.match(p, k=10_000, now=NOW, fatigue_weight=fatigue_weight, explain=False):
            q = r.quota
            used = q.used if q else 0
            limit = q.max_uses if q else None
            room = total if limit is None else limit - used
            if q is not None and q.cooldown_days > 0:
                room = min(room, 1)
            room = min(room, total)
            lane = (r.reference_id, p.activity.value if p.activity is not None else -1)
            g.add_edge(("d", i), ("pair", i, r.reference_id), capacity=1, weight=0)
            for j in range(1, room + 1):
                u = 0.0 if limit is None else min(1.0, (used + j - 1) / limit)
                score = r.base * (1.0 - fatigue_weight * u)
                g.add_edge(("pair", i, r.reference_id), ("use",) + lane + (j,), capacity=1,
                           weight=-round(score * SCALE))
                g.add_edge(("use",) + lane + (j,), "t", capacity=1, weight=0)
    cost, _ = nx.network_simplex(g)
    return -cost / SCALE


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_optimum_equals_networkx_on_the_full_graph(seed: int) -> None:
    program = refmatch.generate_program(seed=seed, references=80, prospects=30)
    engine = refmatch.Engine(program)
    prospects = program.prospects.all()
    counts = [1 + (i % 3 == 0) for i in range(len(prospects))]
    result = engine.assign(prospects, count=counts, candidates=2, now=NOW)
    expected = networkx_optimum(engine, prospects, counts)
    assert result.totals.loc["optimal", "value"] == pytest.approx(expected, abs=1e-5)
    assert result.totals.loc["greedy", "value"] <= expected + 1e-9
    # Capacities hold: no reference beyond its remaining uses, none twice for one prospect.
    assert not result.assigned.duplicated(["demand", "reference_id"]).any()
    for (ref, activity), rows in result.assigned.groupby(["reference_id", "activity"]):
        assert sorted(rows["use"]) == list(range(1, len(rows) + 1))


def test_frames_and_reasons(tiny_program: refmatch.Program) -> None:
    engine = refmatch.Engine(tiny_program)
    prospects = [refmatch.Prospect(f"P{i}", industry="A11", products=["p1", "p2"], country="DE",
                                   size=2, activity="sales_call", deal_value=1000.0 * (i + 1))
                 for i in range(4)]
    prospects.append(refmatch.Prospect("PX", industry="A11", activity="site_visit"))
    result = engine.assign(prospects, weight="deal_value", now=NOW)
    assert isinstance(result.assigned, pd.DataFrame)
    assert list(result.assigned.columns) == ["demand", "prospect_id", "activity", "reference_id",
                                             "use", "marginal_score", "value", "final", "base",
                                             "reason"]
    assert list(result.totals.index) == ["optimal", "greedy"]
    assert int(result.totals.loc["optimal", "assigned"]) == len(result.assigned)
    # Nobody consents to a site visit.
    px = result.unfilled.set_index("prospect_id").loc["PX"]
    assert px["reason"] == "no eligible reference"
    assert (px["wanted"], px["got"]) == (1, 0)
    assert "Assignment(value=" in repr(result)
    # Values are scores × deal value.
    row = result.assigned.iloc[0]
    deal = 1000.0 * (int(row["prospect_id"][1:]) + 1)
    assert row["value"] == pytest.approx(row["marginal_score"] * deal)


def test_holds_count_against_headroom(tiny_program: refmatch.Program) -> None:
    # R2 may do 2 sales calls; two holds leave it none.
    engine = refmatch.Engine(tiny_program)
    p = refmatch.Prospect("P", industry="A12", products=["p1"], country="FR", size=3,
                          activity="sales_call")
    free = engine.assign([p], count=3, now=NOW)
    assert "R2" in set(free.assigned["reference_id"])
    held = engine.assign([p], count=3, now=NOW,
                         holds=[("R2", "sales_call", NOW), ("R2", "sales_call", NOW)])
    assert "R2" not in set(held.assigned["reference_id"])


def test_module_level_assign_and_errors() -> None:
    program = refmatch.sample_program()
    result = refmatch.assign(program, program.prospects.all()[:20], now=NOW, baseline=False)
    assert list(result.totals.index) == ["optimal"]
    with pytest.raises(ValueError, match="count: expected one number or one per prospect"):
        refmatch.assign(program, program.prospects.all()[:3], count=[1, 2], now=NOW)
    with pytest.raises(refmatch.ValidationError, match="field 'candidates': expected at least 1"):
        refmatch.assign(program, program.prospects.all()[:3], candidates=0, now=NOW)


def _requests_at(hours: float) -> dt.datetime:
    return dt.datetime(2025, 6, 30, 9, tzinfo=dt.timezone.utc) + dt.timedelta(hours=hours)


@pytest.fixture()
def request_book(tmp_path) -> refmatch.RequestBook:
    db = refmatch.open_database(tmp_path / "program.db", create=True)
    db.import_program(refmatch.sample_program_dir(), recorded_by="setup",
                      recorded_at=dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc))
    return refmatch.RequestBook(db, holds_from="approval_asked")


def test_assign_requests_applies_through_the_workflow(request_book) -> None:
    book = request_book
    due = NOW + dt.timedelta(days=5)
    ids = [book.create(f"P-000{i}", "sales_call", due, wanted=1 + i % 2, now=_requests_at(0))
           for i in range(1, 7)]
    proposal = refmatch.assign_requests(book, now=_requests_at(1))
    assert proposal.applied.empty and book.live_holds(now=_requests_at(1)).empty
    assert list(proposal.assigned.columns[:2]) == ["request_id", "demand"]
    assert set(proposal.assigned["request_id"]) == set(ids)
    assert proposal.assigned.groupby("request_id").size().to_dict() == {
        rid: 1 + i % 2 for i, rid in enumerate(ids, start=1)}

    applied = refmatch.assign_requests(book, apply=True, by="planner", now=_requests_at(2))
    assert list(applied.applied["request_id"]) == ids
    assert set(applied.applied["state"]) == {"held"}
    holds = book.live_holds(now=_requests_at(2))
    assert len(holds) == len(applied.assigned)
    for rid, refs in zip(applied.applied["request_id"], applied.applied["references"]):
        r = book.get(rid)
        assert r["status"] == "approval_asked"
        assert list(r["trail"]["by"])[-1] == "planner"
        assert sorted(r["references"]["reference_id"]) == sorted(refs.split(","))
        given = applied.assigned[applied.assigned["request_id"] == rid]["reference_id"]
        assert sorted(given) == sorted(refs.split(","))

    # A second assignment sees the holds: only the new request is a demand, and it gets what the
    # engine's assignment with those holds gives it.
    new = book.create("P-0001", "sales_call", due, now=_requests_at(3))
    again = refmatch.assign_requests(book, now=_requests_at(3))
    assert list(again.assigned["request_id"]) == [new]
    direct = refmatch.assign(book._db.program, ["P-0001"], now=NOW, activity="sales_call",
                             holds=holds)
    assert list(again.assigned["reference_id"]) == list(direct.assigned["reference_id"])
    with pytest.raises(ValueError, match="weight: expected None or 'deal_value'"):
        refmatch.assign_requests(book, weight="value")


def test_assign_requests_names_the_requests_that_took_a_contested_reference(request_book) -> None:
    # Twelve requests of three opportunities, each wanting three same-sector, same-country
    # references that take one ask per 90 days: the few eligible ones are contested.
    book = request_book
    for i in range(12):
        book.create(f"P-000{1 + i % 3}", "sales_call", NOW + dt.timedelta(days=5 + i), wanted=3,
                    now=_requests_at(0))
    result = refmatch.assign_requests(book, now=_requests_at(1), per_reference=(1, 90),
                                      same_sector=True, same_geography="country", baseline=False)
    contested = result.unfilled[result.unfilled["contested_reference"] != ""]
    assert not contested.empty
    for _, row in contested.iterrows():
        # As `refmatch assign` names them on a database: the requests, by id.
        holders = result.assigned[result.assigned["reference_id"] == row["contested_reference"]]
        assert row["taken_by"].split(",") == [str(r) for r in holders["request_id"]]
        assert row["request_id"] not in set(holders["request_id"])


def test_recorded_requests_replay(request_book) -> None:
    book = request_book
    for day in range(4):
        book.create("P-0002", "case_study", NOW + dt.timedelta(days=10 + day),
                    now=_requests_at(24 * day))
    frame = refmatch.recorded_requests(book, since=NOW + dt.timedelta(days=1))
    assert list(frame.columns) == ["id", "day", "prospect_id", "activity", "count", "due",
                                   "value"]
    assert list(frame["id"]) == ["2", "3", "4"]
    assert list(frame["day"]) == [NOW + dt.timedelta(days=d) for d in (1, 2, 3)]
    result = refmatch.simulate(book._db.program, frame, ["optimal"], decline_base=0.0,
                               decline_fatigue=0.0)
    assert int(result.summary.loc["optimal", "requests"]) == 3
    assert set(result.requests["request_id"]) == {"2", "3", "4"}
