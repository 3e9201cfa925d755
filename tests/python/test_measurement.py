"""Measurement against independent implementations: scipy's Wilson interval, Mantel-Haenszel and
the bootstrap recomputed with pandas/numpy (the bootstrap's SplitMix64 reimplemented here), the
influence join and its even split recomputed with pandas on the sample, Gini with numpy."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import refmatch

DAY = dt.date(2025, 6, 30)
MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed: int) -> None:
        self.state = seed & MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return ((self.next() >> 32) * n) >> 32


def bootstrap_oracle(a: list, b: list, resamples: int, seed: int) -> tuple:
    rng = SplitMix64(seed)
    diffs = []
    for _ in range(resamples):
        ma = sum(a[rng.below(len(a))] for _ in range(len(a))) / len(a)
        mb = sum(b[rng.below(len(b))] for _ in range(len(b))) / len(b)
        diffs.append(ma - mb)
    low, high = np.quantile(diffs, [0.025, 0.975])
    return float(np.mean(a) - np.mean(b)), float(low), float(high)


@pytest.fixture(scope="module")
def sample() -> tuple:
    program = refmatch.sample_program()
    outcomes = refmatch.load_outcomes(refmatch.sample_program_dir(), program)
    return program, outcomes


def test_wilson_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 500))
        k = int(rng.integers(0, n + 1))
        value, low, high = refmatch.wilson_interval(k, n)
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert value == pytest.approx(k / n)
        assert low == pytest.approx(ci.low, abs=1e-9)
        assert high == pytest.approx(ci.high, abs=1e-9)


def mh_oracle(frame: pd.DataFrame) -> tuple:
    """Mantel-Haenszel rate ratio and Greenland-Robins interval from per-deal rows (stratum,
    exposed, won), with pandas."""
    g = frame.groupby("stratum")
    t = pd.DataFrame({
        "a": g.apply(lambda x: (x.exposed & x.won).sum()),
        "n1": g.apply(lambda x: x.exposed.sum()),
        "c": g.apply(lambda x: (~x.exposed & x.won).sum()),
        "n0": g.apply(lambda x: (~x.exposed).sum()),
    }).astype(float)
    t = t[(t.n1 > 0) & (t.n0 > 0)]
    n = t.n1 + t.n0
    r = (t.a * t.n0 / n).sum()
    s = (t.c * t.n1 / n).sum()
    v = ((t.n1 * t.n0 * (t.a + t.c) - t.a * t.c * n) / n**2).sum() / (r * s)
    rr = r / s
    z = stats.norm.ppf(0.975)
    return rr, rr * np.exp(-z * np.sqrt(v)), rr * np.exp(z * np.sqrt(v))


def test_mantel_haenszel_matches_pandas() -> None:
    rng = np.random.default_rng(11)
    rows = pd.DataFrame({"stratum": rng.integers(0, 6, 600), "exposed": rng.random(600) < 0.4})
    rows["won"] = rng.random(600) < np.where(rows.exposed, 0.5, 0.3)
    strata = []
    for _, x in rows.groupby("stratum"):
        strata.append((int((x.exposed & x.won).sum()), int(x.exposed.sum()),
                       int((~x.exposed & x.won).sum()), int((~x.exposed).sum())))
    got = refmatch.mantel_haenszel_ratio(strata)
    assert got == pytest.approx(mh_oracle(rows), rel=1e-9)


def test_bootstrap_matches_the_reimplementation_and_scipy() -> None:
    rng = np.random.default_rng(5)
    a = list(rng.normal(100, 20, 40))
    b = list(rng.normal(90, 25, 55))
    got = refmatch.bootstrap_mean_difference(a, b, resamples=500, seed=42)
    assert got == pytest.approx(bootstrap_oracle(a, b, 500, 42), rel=1e-12)
    # An independent bootstrap (scipy's own resampling) lands close by.
    ref = stats.bootstrap((np.array(a), np.array(b)), lambda x, y: np.mean(x) - np.mean(y),
                          n_resamples=4000, method="percentile", random_state=1,
                          vectorized=False).confidence_interval
    wide = refmatch.bootstrap_mean_difference(a, b, resamples=4000, seed=7)
    assert wide[1] == pytest.approx(ref.low, abs=2.5)
    assert wide[2] == pytest.approx(ref.high, abs=2.5)


def test_gini_and_nps_against_numpy() -> None:
    rng = np.random.default_rng(9)
    values = rng.integers(0, 30, 250).astype(float)
    got = refmatch.concentration(list(values))
    pairs = np.abs(values[:, None] - values[None, :]).sum()
    assert got["gini"] == pytest.approx(pairs / (2 * len(values) ** 2 * values.mean()))
    top = np.sort(values)[::-1]
    assert got["top10_share"] == pytest.approx(top[:25].sum() / values.sum())
    answers = list(rng.integers(0, 11, 300))
    s = refmatch.nps(answers)
    a = np.array(answers)
    p, d = (a >= 9).mean(), (a <= 6).mean()
    se = np.sqrt((p + d - (p - d) ** 2) / len(a))
    assert s["score"] == pytest.approx((100 * (p - d), 100 * (p - d - 1.959963984540054 * se),
                                        100 * (p - d + 1.959963984540054 * se)))


def test_influence_on_the_sample_recomputed_with_pandas(sample: tuple) -> None:
    program, outcomes = sample
    start = DAY - dt.timedelta(days=365)
    got = refmatch.measure_influence(program, outcomes, start=start, end=DAY, seed=3,
                                     resamples=300)
    deals = pd.read_csv(refmatch.sample_program_dir() / "outcomes.csv",
                        parse_dates=["created", "closed"])
    deals = deals[deals.status.isin(["won", "lost"])]
    deals = deals[(deals.closed.dt.date >= start) & (deals.closed.dt.date <= DAY)]
    usage = program.usage_frame().dropna(subset=["opportunity_id"])
    usage = usage[usage.opportunity_id != ""]
    joined = usage.merge(deals, on="opportunity_id")
    day = pd.to_datetime(joined["date"])
    joined = joined[(day <= joined.closed) & ((joined.closed - day).dt.days < 365)]
    assert len(joined) == got.influencing_uses
    won = joined[joined.status == "won"]
    k = won.groupby("opportunity_id").reference_id.transform("size")
    expected = (won.amount / k).groupby(won.reference_id).sum()
    by_ref = got.by_reference.set_index("reference_id").revenue
    pd.testing.assert_series_equal(by_ref.sort_index(), expected.sort_index(), check_names=False,
                                   rtol=1e-9)
    influenced = deals[deals.opportunity_id.isin(won.opportunity_id)]
    assert got.influenced_revenue == pytest.approx(influenced.amount.sum())
    assert got.credited_revenue == pytest.approx(got.influenced_revenue)
    assert got.won_revenue == pytest.approx(deals[deals.status == "won"].amount.sum())
    assert got.by_segment.revenue.sum() == pytest.approx(got.credited_revenue)

    # Win rates, the pooled ratio and the bootstrap from the deals frame.
    exposed = set(joined.opportunity_id)
    frame = got.deals.copy()
    frame["exposed"] = frame.opportunity_id.isin(exposed)
    frame["won"] = frame.status == "won"
    assert frame.exposed.sum() == got.versus["closed_with"]
    k_with = int((frame.exposed & frame.won).sum())
    ci = stats.binomtest(k_with, int(frame.exposed.sum())).proportion_ci(method="wilson")
    assert got.versus["win_rate_with"][1] == pytest.approx(ci.low, abs=1e-9)
    band = np.searchsorted([25000, 100000, 500000], frame.amount, side="right")
    seg = (frame.sector.replace("", "?") + " × " + frame.region.replace("", "?") + " × "
           + frame["size"].replace("", "?"))
    frame["stratum"] = seg + " | " + pd.Series(band, index=frame.index).astype(str)
    assert got.versus["pooled_ratio"] == pytest.approx(mh_oracle(frame), rel=1e-9)
    w = frame[frame.won]
    a = list(w[w.exposed].amount)
    b = list(w[~w.exposed].amount)
    assert got.versus["deal_size_difference"] == pytest.approx(bootstrap_oracle(a, b, 300, 3),
                                                               rel=1e-9)
    # The sample is synthetic: deals with references were made likelier to be won.
    assert got.versus["win_rate_with"][0] > got.versus["win_rate_without"][0]


def test_every_rule_reconciles_on_the_sample(sample: tuple) -> None:
    program, outcomes = sample
    for rule in ("even", "first", "last", "time_decay"):
        got = refmatch.measure_influence(program, outcomes, rule=rule, resamples=10)
        assert got.credits.credit.sum() == pytest.approx(got.influenced_revenue)
        assert got.by_period.revenue.sum() == pytest.approx(got.influenced_revenue)
    full = refmatch.measure_influence(program, outcomes, rule="full", resamples=10)
    per_deal = full.credits[full.credits.credit > 0].groupby("opportunity_id").size()
    assert full.credited_revenue > full.influenced_revenue or per_deal.max() == 1
    with pytest.raises(ValueError, match="rule: expected full, even"):
        refmatch.measure_influence(program, outcomes, rule="linear")


def test_outcomes_from_a_frame_name_the_row(sample: tuple) -> None:
    program, _ = sample
    frame = pd.DataFrame({"opportunity_id": ["O-1", "O-2"], "status": ["won", "pending"],
                          "amount": [1, 2], "closed": ["2025-01-01", ""]})
    with pytest.raises(refmatch.ParseError,
                       match="outcomes:3: field 'status': expected open, won or lost, got "
                             "'pending'"):
        refmatch.load_outcomes(frame, program)


def test_balance_and_recruiting_on_the_sample(sample: tuple) -> None:
    program, _ = sample
    b = refmatch.measure_balance(program, DAY)
    uses = b.references.uses.to_numpy(dtype=float)
    pairs = np.abs(uses[:, None] - uses[None, :]).sum()
    assert b.gini == pytest.approx(pairs / (2 * len(uses) ** 2 * uses.mean()))
    assert b.top10_share > 0.2
    assert len(b.lorenz) == len(b.references) + 1

    r = refmatch.recommend_recruits(program, activity="sales_call", now=DAY, shortlist=5)
    assert len(r.shortlist) == 5
    assert r.shortlist.cumulative_value.iloc[-1] == pytest.approx(r.shortlist.marginal_value.sum())
    assert r.shortlist.marginal_value.iloc[0] == pytest.approx(r.candidates.value_covered.max())
    assert r.shortlist.cumulative_value.iloc[-1] <= r.value_at_risk


def test_content_and_the_report(sample: tuple, tmp_path) -> None:
    program, outcomes = sample
    content = refmatch.load_content(refmatch.sample_program_dir(), program)
    usable = [c for c in content if c.usable_on(DAY)]
    matches = refmatch.match_content(program, content, "P-0001", 5, now=DAY)
    assert 0 < len(matches) <= 5
    assert set(matches.content_id) <= {c.id for c in usable}
    assert matches.final.is_monotonic_decreasing
    path = refmatch.write_report(program, tmp_path / "report.html", outcomes=outcomes,
                                 content=content, now=DAY, service_levels=[
                                     ("sales_call", 40, 31, 3.5), ("case_study", 6, 2, 12.0)])
    html = path.read_text(encoding="utf-8")
    for chart in ("chart-lorenz", "chart-segments", "chart-win-rates", "chart-shortlist",
                  "chart-service-levels"):
        assert f'id="{chart}"' in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert "Association, not cause" in html


def test_on_a_database_balance_and_report_take_the_request_books_figures(tmp_path) -> None:
    utc = dt.timezone.utc
    db = refmatch.open_database(tmp_path / "program.db", create=True)
    db.import_program(refmatch.sample_program_dir(), recorded_by="setup",
                      recorded_at=dt.datetime(2025, 6, 1, tzinfo=utc))
    book = refmatch.RequestBook(db)
    asked: dict = {}
    # Three requests: served on time, served late, declined by the customer.
    for i, (prospect, serve_days) in enumerate([("P-0001", 2), ("P-0002", 9), ("P-0003", None)]):
        opened = dt.datetime(2025, 6, 2 + i, 9, tzinfo=utc)
        rid = book.create(prospect, "sales_call", opened.date() + dt.timedelta(days=5),
                          now=opened)
        ref = book.propose(rid, now=opened)["reference_id"][0]
        book.pick(rid, ref, now=opened)
        book.approve(rid, now=opened)
        book.ask(rid, "email", now=opened + dt.timedelta(hours=1))
        n, d = asked.get(ref, (0, 0))
        if serve_days is None:
            book.decline(rid, now=opened + dt.timedelta(hours=5))
            asked[ref] = (n + 1, d + 1)
            continue
        asked[ref] = (n + 1, d)
        book.accept(rid, now=opened + dt.timedelta(hours=5))
        served = opened + dt.timedelta(days=serve_days)
        book.schedule(rid, served.date(), now=opened + dt.timedelta(hours=6))
        book.fulfil(rid, now=served)

    figures = refmatch.request_figures(db, DAY)
    levels = figures["service_levels"]
    assert levels[["label", "requests", "met"]].values.tolist() == [["sales_call", 3, 1]]
    declines = figures["declines"].set_index("reference_id")
    assert {r: (int(x.asked), int(x.declined)) for r, x in declines.iterrows()} == asked

    # measure_balance on the database: the book's declines, each with scipy's Wilson interval.
    b = refmatch.measure_balance(db, DAY)
    plain = refmatch.measure_balance(db.program, DAY, declines=figures["declines"])
    assert b.high_decline == plain.high_decline == []  # one decline is not clearly high
    strict = refmatch.measure_balance(db.program, DAY, declines=[
        (ref, 40, 30) for ref in asked])
    for ref in asked:
        ci = stats.binomtest(30, 40).proportion_ci(confidence_level=0.95, method="wilson")
        assert (ref in strict.high_decline) == (ci.low > 0.5)
    assert b.uses == plain.uses > 0

    # Influence and the report read the database's outcomes and content by themselves.
    influence = refmatch.measure_influence(db, start=DAY - dt.timedelta(days=364), end=DAY)
    direct = refmatch.measure_influence(db.program, refmatch.load_outcomes(
        refmatch.sample_program_dir(), db.program), start=DAY - dt.timedelta(days=364), end=DAY)
    assert influence.won_revenue == pytest.approx(direct.won_revenue)
    path = refmatch.write_report(db, tmp_path / "report.html", now=DAY)
    html = path.read_text(encoding="utf-8")
    assert 'id="chart-service-levels"' in html and "sales_call" in html
    with pytest.raises(ValueError, match="outcomes: expected a list"):
        refmatch.measure_influence(db.program)
