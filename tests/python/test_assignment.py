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
