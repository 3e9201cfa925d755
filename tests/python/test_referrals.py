"""The referral program from Python: DataFrames, the checks on a generated program, and the
statistics against scipy."""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import refmatch


@pytest.fixture(scope="module")
def generated() -> tuple[refmatch.ReferralProgram, dict[str, set[str]]]:
    return refmatch.generate_referrals(5000, 1000, rings=6, duplicates=60, seed=7)


def test_tables_are_dataframes(generated) -> None:
    program, _ = generated
    referrals = program.referrals
    assert isinstance(referrals, pd.DataFrame) and len(referrals) == len(program)
    assert {"id", "referrer_id", "channel", "variant", "status", "deal_value"} <= set(referrals)
    assert pd.api.types.is_datetime64_any_dtype(referrals["referred_on"])
    rewards = program.rewards
    assert set(rewards["side"]) == {"referrer", "referred"}
    assert len(rewards) == 2 * (referrals["status"] == "converted").sum()


def test_checks_find_the_planted_cases(generated) -> None:
    program, planted = generated
    findings = program.check()
    assert {"referral_id", "kind", "level", "reason", "evidence"} <= set(findings)
    found = findings.groupby("kind")["referral_id"].apply(set)
    assert found["ring"] == planted["ring"]
    assert planted["duplicate"] <= found["duplicate"]
    assert planted["self_referral"] <= found["self_referral"]
    assert found["velocity"] == planted["velocity"]
    assert planted["email_domain"] <= found["email_domain"]
    ring = findings[findings["kind"] == "ring"].iloc[0]
    assert "refer each other's organisations" in ring["reason"]
    assert ring["evidence"][0] == ring["evidence"][-1]  # the cycle closes
    levels = program.check(levels=True)
    assert len(levels) == len(program) and set(levels["level"]) <= {"pass", "review", "reject"}


def test_files_and_database_round_trip(generated, tmp_path: pathlib.Path) -> None:
    program, _ = generated
    program.save(str(tmp_path / "files"))
    again = refmatch.load_referral_program(str(tmp_path / "files"))
    assert again == program
    db = refmatch.ReferralDatabase(str(tmp_path / "program.db"), create=True)
    db.import_program(again)
    assert db.load() == program
    checks = db.run_checks()
    assert len(checks["levels"]["referral_id"]) == len(program)


def test_operations_and_errors() -> None:
    p = refmatch.ReferralProgram()
    p.add_account("C-1", "Acme Systems", "acme.com")
    p.add_referral("R-1", "C-1", "Vandelay", domain="vandelay.com", referred_on="2025-01-01",
                   variant="A")
    p.advance_referral("R-1", "converted", "2025-02-01", deal_value=30000)
    assert list(p.rewards["state"]) == ["pending", "pending"]
    p.move_reward("R-1/referrer", "approved")
    with pytest.raises(refmatch.ValidationError, match="pending -> approved or approved -> issued"):
        p.move_reward("R-1/referred", "issued")
    with pytest.raises(refmatch.ValidationError, match="expected the id of a customer account"):
        p.add_referral("R-2", "C-9", "X", referred_on="2025-01-01")
    p.override_checks("R-1", "pass", "ana", "checked", "2025-02-02")
    assert p.overrides.iloc[0]["by"] == "ana"
    economics = p.economics()
    assert economics["cost_per_acquisition"] == pytest.approx(750)


@pytest.mark.parametrize("table", [(1, 9, 11, 3), (3, 1, 1, 3), (0, 5, 5, 0), (12, 40, 30, 35),
                                   (120, 880, 150, 850), (2, 0, 0, 2), (7, 7, 7, 7)])
def test_fisher_matches_scipy(table) -> None:
    a, b, c, d = table
    expected = stats.fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue
    assert refmatch.fisher_exact_two_sided(a, b, c, d) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("counts", [(60, 200, 40, 200), (5, 40, 12, 38), (480, 2000, 530, 2000),
                                    (0, 10, 3, 10)])
def test_two_proportions_match_scipy(counts) -> None:
    xa, na, xb, nb = counts
    t = refmatch.compare_proportions(xa, na, xb, nb)
    pa, pb = xa / na, xb / nb
    pooled = (xa + xb) / (na + nb)
    z = (pa - pb) / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    assert t["z"] == pytest.approx(z, rel=1e-12)
    assert t["p_value_z"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    half = stats.norm.ppf(0.975) * math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    assert t["low"] == pytest.approx(pa - pb - half, abs=1e-12)
    assert t["high"] == pytest.approx(pa - pb + half, abs=1e-12)
    fisher = stats.fisher_exact([[xa, na - xa], [xb, nb - xb]]).pvalue
    assert t["p_value_fisher"] == pytest.approx(fisher, rel=1e-9)
    # scipy's chi-square test without correction is the same test as the pooled z-test.
    chi2 = stats.chi2_contingency([[xa, na - xa], [xb, nb - xb]], correction=False)
    assert t["p_value_z"] == pytest.approx(chi2.pvalue, rel=1e-9)


@pytest.mark.parametrize("p", [1e-12, 1e-6, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999999])
def test_normal_quantile_matches_scipy(p: float) -> None:
    assert refmatch.normal_quantile(p) == pytest.approx(stats.norm.ppf(p), abs=1e-12)


@pytest.mark.parametrize("rates", [(0.10, 0.15), (0.2, 0.25), (0.5, 0.4), (0.01, 0.02)])
def test_sample_size_reaches_the_power(rates) -> None:
    p1, p2 = rates
    n = refmatch.sample_size_two_proportions(p1, p2)
    # The power of the pooled z-test at n, by scipy's normal distribution: at least 0.8, and
    # below 0.8 one sample earlier.
    def power(m: int) -> float:
        bar = (p1 + p2) / 2
        se0 = math.sqrt(2 * bar * (1 - bar) / m)
        se1 = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / m)
        return stats.norm.sf((stats.norm.ppf(0.975) * se0 - abs(p1 - p2)) / se1)
    assert power(n) >= 0.8 > power(n - 1)


def test_bootstrap_agrees_with_scipy() -> None:
    rng = np.random.default_rng(5)
    a = rng.lognormal(10.6, 0.6, 300)
    b = rng.lognormal(10.5, 0.6, 400)
    ours = refmatch.bootstrap_mean_difference(list(a), list(b), resamples=4000, seed=3)
    again = refmatch.bootstrap_mean_difference(list(a), list(b), resamples=4000, seed=3)
    assert ours == again  # seeded
    theirs = stats.bootstrap((a, b), lambda x, y, axis=-1: x.mean(axis) - y.mean(axis),
                             n_resamples=4000, method="percentile", random_state=1,
                             vectorized=True).confidence_interval
    width = theirs.high - theirs.low
    assert ours[0] == pytest.approx(a.mean() - b.mean())
    # Two Monte Carlo estimates of the same interval: within a few percent of its width.
    assert ours[1] == pytest.approx(theirs.low, abs=0.06 * width)
    assert ours[2] == pytest.approx(theirs.high, abs=0.06 * width)


def test_ab_test_and_funnel_on_the_generated_program(generated) -> None:
    program, _ = generated
    ab = refmatch.referral_ab_test(program, "A", "B", planned_per_variant=100000)
    assert ab["stopped_early"]
    assert ab["n_a"] + ab["n_b"] <= len(program)
    funnel = program.funnel("variant")
    assert list(funnel.index) == ["A", "B", "(all)"]
    assert funnel.loc["(all)", "referred"] == len(program)
    value = program.referred_value(seed=2)
    assert value["low"] < value["difference"] < value["high"]
