"""Property tests: the engine against a pure-numpy oracle of docs/scoring.md on random programs.

The oracle shares nothing with the engine but the input records: it rebuilds the trees from
(code, parent) rows, takes LCAs by walking parents, and scores every (prospect, reference) pair
with the formulas of scoring.md written out in numpy.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refmatch

NOW = dt.date(2025, 6, 30)
INDUSTRY_ROWS = [("A", ""), ("A1", "A"), ("A11", "A1"), ("A111", "A11"), ("A12", "A1"),
                 ("A2", "A"), ("B", ""), ("B1", "B"), ("B11", "B1"), ("C", "")]
GEOGRAPHY_ROWS = [("EU", ""), ("WE", "EU"), ("DE", "WE"), ("FR", "WE"), ("NE", "EU"),
                  ("SE", "NE"), ("AS", ""), ("EA", "AS"), ("JP", "EA"), ("AF", "")]
PRODUCTS = ["p0", "p1", "p2", "p3", "p4", "p5"]
ACTIVITIES = ["sales_call", "case_study", "logo_use"]
STATUSES = ["active", "active", "active", "paused", "candidate"]
BANDS = 6


def wu_palmer_matrix(rows: list[tuple[str, str]]) -> tuple[dict, np.ndarray]:
    """Index of codes and the similarity of every pair, by walking parents."""
    index = {code: i for i, (code, _) in enumerate(rows)}
    parent = {code: p for code, p in rows}

    def path(code: str) -> list[str]:
        out = [code]
        while parent[out[-1]]:
            out.append(parent[out[-1]])
        return out  # code .. top-level code; the root (depth 0) is implicit

    sim = np.zeros((len(rows), len(rows)))
    for a, _ in rows:
        for b, _ in rows:
            pa, pb = path(a), path(b)
            common = [c for c in pa if c in pb]
            lca_depth = len(path(common[0])) if common else 0
            sim[index[a], index[b]] = 2.0 * lca_depth / float(len(pa) + len(pb))
    return index, sim


IND_INDEX, IND_SIM = wu_palmer_matrix(INDUSTRY_ROWS)
GEO_INDEX, GEO_SIM = wu_palmer_matrix(GEOGRAPHY_ROWS)


def vocabulary() -> refmatch.Vocabulary:
    return refmatch.Vocabulary(
        industries=refmatch.Taxonomy([(c, c, p) for c, p in INDUSTRY_ROWS], name="industries"),
        geography=refmatch.Taxonomy([(c, c, p) for c, p in GEOGRAPHY_ROWS], name="geography"),
        products=refmatch.ProductCatalog(PRODUCTS))


def oracle(program: refmatch.Program, prospect: refmatch.Prospect, k: int, weights: dict,
           fatigue: float, activity: str | None) -> list[tuple[str, float]]:
    refs = program.references.all()
    ids = np.array([r.id for r in refs])

    def similarity(index: dict, sim: np.ndarray, mine: str, theirs: list[str]) -> np.ndarray:
        if not mine:
            return np.zeros(len(theirs))
        col = np.array([index[t] if t else -1 for t in theirs])
        return np.where(col >= 0, sim[index[mine], np.maximum(col, 0)], 0.0)

    industry = similarity(IND_INDEX, IND_SIM, prospect.industry, [r.industry for r in refs])
    geography = similarity(GEO_INDEX, GEO_SIM, prospect.country, [r.country for r in refs])
    wanted = np.array([p in prospect.products for p in PRODUCTS])
    uses = np.array([[p in r.products for p in PRODUCTS] for r in refs]).reshape(len(refs), -1)
    product = (uses & wanted).sum(axis=1) / wanted.sum() if wanted.any() else np.zeros(len(refs))
    bands = np.array([-1 if r.size is None else r.size for r in refs])
    size = np.where((bands >= 0) & (prospect.size is not None),
                    1.0 - np.abs(bands - (prospect.size or 0)) / (BANDS - 1), 0.0)
    wi, wp, wg, ws = weights["industry"], weights["product"], weights["geography"], weights["size"]
    base = (wi * industry + wp * product + wg * geography + ws * size) / (wi + wp + wg + ws)

    eligible = np.array([r.status == refmatch.ReferenceStatus.ACTIVE
                         and r.id not in prospect.exclusions for r in refs])
    utilisation = np.zeros(len(refs))
    if activity is not None:
        events = program.usage.events()
        for i, r in enumerate(refs):
            if not r.consents_to(activity):
                eligible[i] = False
                continue
            limit = r.effective_limit(activity, program.quotas)
            days = [(NOW - e.day).days for e in events
                    if e.reference_id == r.id and e.activity == refmatch.ActivityId(activity)]
            used = sum(1 for age in days if 0 <= age < limit.window_days)
            if limit.max_uses is not None:
                if used >= limit.max_uses:
                    eligible[i] = False
                utilisation[i] = min(1.0, used / limit.max_uses)
            if any(0 <= age < limit.cooldown_days for age in days):
                eligible[i] = False
    final = base * (1.0 - fatigue * utilisation)
    order = sorted(np.flatnonzero(eligible), key=lambda i: (-final[i], ids[i]))[:k]
    return [(str(ids[i]), float(final[i])) for i in order]


codes = lambda rows: st.one_of(st.just(""), st.sampled_from([c for c, _ in rows]))  # noqa: E731
products = st.lists(st.sampled_from(PRODUCTS), max_size=4, unique=True)
bands = st.one_of(st.none(), st.integers(0, BANDS - 1))
# Windows and cooldowns come from a few values, and event ages cluster around them, so that
# uses exactly on a window or cooldown boundary (the half-open `(now − window, now]`) are common.
BOUNDARIES = [1, 7, 30, 90]
limits = st.one_of(st.none(), st.builds(
    refmatch.QuotaLimit, max_uses=st.one_of(st.none(), st.integers(1, 3)),
    window_days=st.one_of(st.sampled_from(BOUNDARIES), st.integers(1, 120)),
    cooldown_days=st.one_of(st.sampled_from([0] + BOUNDARIES), st.integers(0, 20))))
reference = st.tuples(codes(INDUSTRY_ROWS), products, codes(GEOGRAPHY_ROWS), bands,
                      st.sampled_from(STATUSES),
                      st.dictionaries(st.sampled_from(ACTIVITIES), limits, max_size=3))
ages = st.one_of(st.integers(-10, 150),
                 st.sampled_from(sorted({b + d for b in [0] + BOUNDARIES for d in (-1, 0, 1)})))
event = st.tuples(st.integers(0, 29), st.sampled_from(ACTIVITIES), ages)
weight = st.sampled_from([0.0, 0.1, 0.2, 0.35, 0.5, 1.0])


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(refs=st.lists(reference, min_size=1, max_size=30), events=st.lists(event, max_size=40),
       prospects=st.lists(st.tuples(codes(INDUSTRY_ROWS), products, codes(GEOGRAPHY_ROWS), bands,
                                    st.lists(st.integers(0, 29), max_size=3)),
                          min_size=1, max_size=4),
       activity=st.one_of(st.none(), st.sampled_from(ACTIVITIES)),
       weights=st.tuples(weight, weight, weight, weight).filter(lambda w: sum(w) > 0),
       fatigue=st.sampled_from([0.0, 0.25, 0.5, 1.0]), k=st.integers(1, 8))
def test_engine_equals_numpy_oracle(refs, events, prospects, activity, weights, fatigue, k) -> None:
    program = refmatch.Program(vocabulary())
    program.references.add_all([
        refmatch.ReferenceCustomer(f"R{i:02d}", industry=ind, products=prods, country=geo,
                                   size=band, status=status, consents=consents)
        for i, (ind, prods, geo, band, status, consents) in enumerate(refs)])
    for ref, act, age in events:
        program.record_usage(f"R{ref % len(refs):02d}", act, NOW - dt.timedelta(days=age))
    w = dict(zip(("industry", "product", "geography", "size"), weights))
    pros = [refmatch.Prospect(f"P{j}", industry=ind, products=prods, country=geo, size=band,
                              exclusions=[f"R{x:02d}" for x in excl])
            for j, (ind, prods, geo, band, excl) in enumerate(prospects)]
    engine = refmatch.Engine(program)
    batch = engine.match_batch(pros, k=k, activity=activity, now=NOW, weights=w,
                               fatigue_weight=fatigue, threads=2)
    for p in pros:
        expected = oracle(program, p, k, w, fatigue, activity)
        got = batch[batch["prospect_id"] == p.id]
        assert got["reference_id"].tolist() == [i for i, _ in expected]
        np.testing.assert_allclose(got["final"].to_numpy(), [f for _, f in expected],
                                   rtol=0, atol=1e-9)
        single = engine.match(p, k=k, activity=activity, now=NOW, weights=w,
                              fatigue_weight=fatigue)
        assert [(r.reference_id, r.final) for r in single] == list(
            zip(got["reference_id"], got["final"]))


def test_window_and_cooldown_boundaries_hand_worked() -> None:
    """Uses exactly `window` days ago fall outside the window `(now − window, now]`; a use exactly
    `cooldown` days ago no longer blocks. Engine and oracle agree on the numbers."""
    program = refmatch.Program(vocabulary())
    limit = refmatch.QuotaLimit(max_uses=3, window_days=7, cooldown_days=2)
    program.references.add_all([
        refmatch.ReferenceCustomer(f"R{i:02d}", industry=INDUSTRY_ROWS[0][0], products=[],
                                   country="", size=None, status="active",
                                   consents={"sales_call": limit})
        for i in range(2)])
    for age in (7, 3, 2):  # R00: 7 is outside the window; 2 is the cooldown's edge: eligible
        program.record_usage("R00", "sales_call", NOW - dt.timedelta(days=age))
    program.record_usage("R01", "sales_call", NOW - dt.timedelta(days=1))  # cooling down
    prospect = refmatch.Prospect("P0", industry=INDUSTRY_ROWS[0][0])
    results = refmatch.Engine(program).match(prospect, k=5, activity="sales_call", now=NOW)
    assert [r.reference_id for r in results] == ["R00"]
    quota = results[0].to_dict()["quota"]
    assert (quota["used"], quota["max_uses"]) == (2, 3)
    assert results[0].to_dict()["fatigue"] == pytest.approx(1 - 0.5 * 2 / 3)
    weights = {"industry": 0.35, "product": 0.35, "geography": 0.2, "size": 0.1}
    assert oracle(program, prospect, 5, weights, 0.5, "sales_call") == [
        ("R00", pytest.approx(results[0].final))]
