"""Engine.explain ("why not this reference?") and the names and quotas of match_batch frames."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import refmatch

NOW = dt.date(2025, 6, 30)


def test_explain_ranks_agree_with_a_brute_force_sort(sample_program: refmatch.Program,
                                                      sample_engine: refmatch.Engine) -> None:
    # Every reference explained, the eligible ones sorted by (score desc, id): the ranks are the
    # positions, the top k is match's, and the others say why.
    prospect = sample_program.prospects["P-0007"]
    k = 5
    options = dict(activity="sales_call", now=NOW, same_geography="region")
    top = sample_engine.match(prospect, k=k, **options)
    explained = [sample_engine.explain(prospect, r.id, k=k, **options)
                 for r in sample_program.references.all()[:400]]
    eligible = sorted((e for e in explained if e.eligible),
                      key=lambda e: (-e.score.final, e.reference_id))
    ranks = [e.rank for e in eligible]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    everything = sample_engine.match(prospect, k=len(sample_program.references), **options)
    position = {r.reference_id: i + 1 for i, r in enumerate(everything)}
    for e in explained:
        assert e.eligible == (e.reference_id in position)
        if e.eligible:
            assert e.rank == position[e.reference_id]
            assert e.score.final == everything[e.rank - 1].final
        assert e.returned == (e.reference_id in {r.reference_id for r in top})
        assert (not e.reasons) == e.returned
        assert e.kth_reference_id == top[-1].reference_id
    causes = {r.cause for e in explained for r in e.reasons}
    assert {"inactive", "geography filter", "below k-th"} <= causes
    assert sum(e.returned for e in explained) >= 1


def test_explain_names_the_quota_reason_with_its_date(tiny_program: refmatch.Program) -> None:
    # R2 may do 2 sales calls a year (no cooldown): two uses put it at its limit until the older
    # one leaves the 365-day window.
    tiny_program.record_usage("R2", "sales_call", dt.date(2025, 1, 10))
    tiny_program.record_usage("R2", "sales_call", dt.date(2025, 3, 1))
    engine = refmatch.Engine(tiny_program)
    prospect = refmatch.Prospect("P1", industry="A11", products=["p1"], country="DE", size=2)
    why = engine.explain(prospect, "R2", k=3, activity="sales_call", now=NOW)
    assert not why.eligible and why.rank is None
    assert [r.cause for r in why.reasons] == ["at limit"]
    assert why.reasons[0].text == ("used 2 of 2 sales_call in 365 days, at its limit until "
                                   "2026-01-10")
    assert why.score.quota.used == 2
    assert why.score.fatigue == pytest.approx(0.5)
    paused = engine.explain(prospect, "R5", k=3, activity="sales_call", now=NOW)
    assert paused.reasons[0].cause == "inactive"
    assert paused.reasons[0].text == "status paused, not active"
    assert engine.explain(prospect, "R3", k=3, activity="sales_call",
                          now=NOW).reasons[0].text == "no consent to sales_call"
    excluded = engine.explain(prospect, "R1", k=3, now=NOW, exclusions=["R1"])
    assert [r.cause for r in excluded.reasons] == ["excluded"]
    assert excluded.to_dict()["reasons"] == [{"cause": "excluded",
                                              "text": "excluded by the match options"}]
    best = engine.explain(prospect, "R1", k=3, now=NOW)
    assert best.returned and best.rank == 1 and best.summary == "returned at rank 1 of 3"
    with pytest.raises(refmatch.NotFoundError):
        engine.explain(prospect, "R404", k=3, now=NOW)
    with pytest.raises(refmatch.ValidationError):
        engine.explain(prospect, "R1", k=0, now=NOW)


def test_batch_frames_carry_names_and_quotas(sample_program: refmatch.Program,
                                             sample_engine: refmatch.Engine) -> None:
    prospects = sample_program.prospects.all()[:20]
    frame = sample_engine.match_batch(prospects, k=3, activity="sales_call", now=NOW)
    names = {r.id: r.name for r in sample_program.references.all()}
    assert (frame["reference_name"] == frame["reference_id"].map(names)).all()
    assert (frame["prospect_name"] ==
            frame["prospect_id"].map({p.id: p.name for p in prospects})).all()
    for row in frame.head(12).itertuples():
        one = sample_engine.match(row.prospect_id, k=3, activity="sales_call", now=NOW)
        result = one[row.rank - 1]
        assert row.used == result.quota.used
        if result.quota.max_uses is None:
            assert pd.isna(row.max_uses)
        else:
            assert row.max_uses == result.quota.max_uses
    assert str(frame["used"].dtype) == "Int64"
    plain = sample_engine.match_batch(prospects, k=3, now=NOW, use_prospect_activity=False)
    assert plain["used"].isna().all() and plain["max_uses"].isna().all()


def test_reasons_name_the_references_own_sector_and_country(
        tiny_program: refmatch.Program) -> None:
    engine = refmatch.Engine(tiny_program)
    prospect = refmatch.Prospect("P1", industry="A11", products=["p1"], country="DE", size=2)
    reasons = {r.reference_id: r.reason for r in engine.match(prospect, k=5)}
    # R3: sector B in Japan, against the prospect's sector A in Europe.
    assert reasons["R3"].startswith("tiny sector B Sector B vs A")
    assert "Japan, region Asia vs Europe" in reasons["R3"]
    assert "same sub-region Western Europe (France)" in reasons["R2"]
    assert "same country Germany" in reasons["R1"]


def test_utilisation_frame_counts_what_the_quota_evaluator_says(
        sample_program: refmatch.Program) -> None:
    frame = sample_program.utilisation_frame(NOW)
    assert list(frame.columns) == list(refmatch._frames.UTILISATION_COLUMNS)
    consents = sum(len(r.consents) for r in sample_program.references.all())
    assert len(frame) == consents
    # Row by row, the numbers are the reference's quota state on that day.
    ledger = sample_program.usage
    for row in frame.sample(60, random_state=3).itertuples():
        reference = sample_program.references[row.reference_id]
        activity = sample_program.vocabulary.activities.at(row.activity)
        window = row.window_days
        events = [e for e in ledger.events()
                  if e.reference_id == row.reference_id and e.activity == activity]
        used = sum(1 for e in events if 0 <= (NOW - e.day).days < window)
        assert row.used == used
        assert row.never_used == (not events)
        assert row.name == reference.name
        if not pd.isna(row.max_uses):
            assert row.headroom == max(0, row.max_uses - used)
    active = frame[frame["status"] == "active"]
    assert active["eligible"].sum() > 0 and (~active["eligible"]).sum() > 0
    assert (frame[frame["status"] != "active"]["eligible"] == False).all()  # noqa: E712
    calls = sample_program.utilisation_frame(NOW, activity="sales_call", active_only=True)
    assert set(calls["activity"]) == {"sales_call"} and set(calls["status"]) == {"active"}
