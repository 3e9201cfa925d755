"""Reference requests from Python: the workflow on the sample database, refused operations, holds
in the assignment, queues and service figures as DataFrames."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import refmatch

UTC = dt.timezone.utc
DAY = dt.date(2025, 6, 30)  # the sample program's day


def at(hours: float) -> dt.datetime:
    return dt.datetime(2025, 6, 30, 9, tzinfo=UTC) + dt.timedelta(hours=hours)


@pytest.fixture()
def book(tmp_path: Path) -> refmatch.RequestBook:
    db = refmatch.open_database(tmp_path / "program.db", create=True)
    db.import_program(refmatch.sample_program_dir(), recorded_by="setup",
                      recorded_at=dt.datetime(2025, 6, 1, tzinfo=UTC))
    return refmatch.RequestBook(db)


def test_a_request_from_ask_to_feedback(book: refmatch.RequestBook) -> None:
    rid = book.create("P-0001", "sales_call", DAY + dt.timedelta(days=5), by="rep", now=at(0))
    candidates = book.propose(rid, by="pm", now=at(1))
    assert list(candidates.columns) == ["reference_id", "final_score", "reason"]
    assert len(candidates) == 5
    assert candidates["final_score"].is_monotonic_decreasing
    chosen = candidates["reference_id"][0]
    book.pick(rid, chosen, by="pm", now=at(2))
    book.approve(rid, by="owner", now=at(3))
    holds = book.live_holds(now=at(3))
    assert holds.to_dict("records") == [
        {"reference_id": chosen, "activity": "sales_call", "day": DAY + dt.timedelta(days=5)}]
    book.ask(rid, "phone", by="pm", now=at(4))
    book.accept(rid, by="pm", now=at(5))
    book.schedule(rid, DAY + dt.timedelta(days=3), by="pm", now=at(6))
    book.fulfil(rid, by="pm", now=at(80))
    book.feedback(rid, 4, outcome="deal won", comment="good call", by="rep", now=at(90))
    r = book.get(rid)
    assert r["status"] == "fulfilled"
    assert list(r["trail"]["to_status"]) == ["requested", "proposed", "approval_asked",
                                              "approved", "customer_asked", "accepted",
                                              "scheduled", "fulfilled"]
    assert r["trail"]["at"].iloc[-1] == pd.Timestamp(at(80))
    assert r["feedback"] == {"rating": 4, "outcome": "deal won", "would_do_again": True,
                             "comment": "good call"}
    event = r["references"]["event_id"][0]
    history = book._db.history(chosen)
    row = history[history["event_id"] == event]
    assert list(row["opportunity_id"]) == ["P-0001"]
    assert list(row["date"]) == [pd.Timestamp(DAY + dt.timedelta(days=3))]
    frame = book.requests()
    assert list(frame["status"]) == ["fulfilled"] and frame["id"][0] == rid
    assert book.live_holds(now=at(80)).empty


def test_refused_operations_raise_and_change_nothing(book: refmatch.RequestBook) -> None:
    rid = book.create("P-0001", "sales_call", DAY + dt.timedelta(days=5), now=at(0))
    with pytest.raises(refmatch.IllegalTransition,
                       match=r"cannot approve a request that is requested \(approve needs "
                             r"approval_asked\); nothing changed"):
        book.approve(rid, now=at(1))
    assert book.get(rid)["status"] == "requested"
    with pytest.raises(ValueError, match="timezone-aware"):
        book.cancel(rid, now=dt.datetime(2025, 7, 1))
    with pytest.raises(refmatch.NotFoundError, match="no request 99"):
        book.get(99)


def test_the_last_slot_cannot_be_promised_twice(book: refmatch.RequestBook) -> None:
    first = book.create("P-0001", "sales_call", DAY + dt.timedelta(days=5), now=at(0))
    ref = book.propose(first, now=at(0))["reference_id"][0]
    # Fill the reference's sales calls with holds until one more is refused.
    taken = 0
    while True:
        rid = book.create("P-0002", "sales_call", DAY + dt.timedelta(days=5), now=at(0))
        try:
            book.pick(rid, ref, now=at(1))
            book.approve(rid, now=at(1))
        except refmatch.HoldConflict as e:
            assert f"no slot left on {ref} for sales_call" in str(e)
            break
        taken += 1
        assert taken < 50
    assert len(book.live_holds(now=at(1))) == taken
    # The engine, the assignment and the proposals count the holds.
    props = book.propose(first, now=at(2))
    assert ref not in set(props["reference_id"])
    program = book._db.program
    free = refmatch.assign(program, ["P-0001"], now=DAY, activity="sales_call")
    held = refmatch.assign(program, ["P-0001"], now=DAY, activity="sales_call",
                           holds=book.live_holds(now=at(2)))
    assert list(free.assigned["reference_id"]) == [ref]
    assert list(held.assigned["reference_id"]) == [props["reference_id"][0]]


def test_queues_and_service_figures_are_frames(book: refmatch.RequestBook) -> None:
    soon = book.create("P-0001", "sales_call", DAY + dt.timedelta(days=1), now=at(0))
    book.create("P-0002", "sales_call", DAY + dt.timedelta(days=20), now=at(0))
    queues = book.queues(now=at(1), due=dt.timedelta(hours=48))
    assert set(queues) == {"due_soon", "overdue", "awaiting_approval", "no_candidate",
                           "holds_expiring"}
    assert list(queues["due_soon"]["request_id"]) == [soon]
    assert queues["due_soon"]["hours"][0] == pytest.approx(48 - 10)
    assert queues["overdue"].empty
    ref = book.propose(soon, now=at(1))["reference_id"][0]
    book.pick(soon, ref, now=at(1))
    book.approve(soon, now=at(1))
    book.ask(soon, "email", now=at(2))
    book.contact(soon, "phone", "declined", now=at(3))
    figures = book.service(now=at(100))
    by_ref = figures["by_reference"].set_index("key")
    assert by_ref.loc[ref, "customer_declined"] == 1 and by_ref.loc[ref, "customer_rate"] == 1.0
    channels = figures["by_channel"].set_index("key")
    assert channels.loc["phone", "responses"] == 1 and channels.loc["email", "responses"] == 0
    assert figures["on_time"]["settled"].tolist() == [1]  # the soon one is past due, unfulfilled
    assert figures["on_time"]["share"].tolist() == [0.0]
    assert figures["time_to_fulfil"].empty


def _one_slot_reference() -> tuple[str, int, int]:
    """A reference of the sample, worked out from its files alone: active, consenting to sales
    calls under the program's quota (no personal limit), out of cooldown on DAY, with s >= 2
    sales calls left in the window. Returns (id, uses in the window, max_uses)."""
    sample = refmatch.sample_program_dir()
    quota = pd.read_csv(sample / "quotas.csv").set_index("activity").loc["sales_call"]
    max_uses, window, cooldown = (int(quota["max_uses"]), int(quota["window_days"]),
                                  int(quota["cooldown_days"]))
    refs = pd.read_csv(sample / "references.csv", dtype=str).fillna("")
    usage = pd.read_csv(sample / "usage.csv", dtype=str).fillna("")
    usage = usage[usage["activity"] == "sales_call"]
    days = pd.to_datetime(usage["date"]).dt.date
    for _, r in refs.iterrows():
        if r["status"] != "active" or "sales_call" not in r["consents"].split(";"):
            continue
        mine = days[usage["reference_id"] == r["id"]]
        used = int(((mine > DAY - dt.timedelta(days=window)) & (mine <= DAY)).sum())
        recent = bool(((mine > DAY - dt.timedelta(days=cooldown)) & (mine <= DAY)).any())
        if not recent and max_uses - used >= 2:
            return r["id"], used, max_uses
    raise AssertionError("the sample has no such reference")


def test_engine_match_counts_a_request_books_live_holds(book: refmatch.RequestBook) -> None:
    ref, used, max_uses = _one_slot_reference()
    engine = refmatch.Engine(book._db.program)
    needed_by = DAY + dt.timedelta(days=10)  # holds dated out of the 7-day cooldown

    def hold(n: int) -> None:
        for _ in range(n):
            rid = book.create("P-0002", "sales_call", needed_by, now=at(0))
            book.pick(rid, ref, now=at(1))
            book.approve(rid, by="owner", now=at(1))

    def eligible(**kw: object) -> dict:
        found = engine.match("P-0001", 2000, activity="sales_call", now=DAY, **kw)
        return {r.reference_id: r for r in found}

    # One slot left: the uses in the window plus the live holds are max_uses - 1.
    hold(max_uses - used - 1)
    holds = book.live_holds(now=at(2))
    assert list(holds["reference_id"]) == [ref] * (max_uses - used - 1)
    with_holds = eligible(holds=holds)
    assert ref in with_holds
    assert with_holds[ref].quota.used == max_uses - 1
    assert eligible()[ref].quota.used == used  # without holds, only the ledger counts
    # The last slot is promised: the reference is no longer eligible when the holds are given,
    # as a frame, as the book itself, or as tuples; it still is when they are not.
    hold(1)
    holds = book.live_holds(now=at(2))
    assert len(holds) == max_uses - used
    assert ref not in eligible(holds=holds)
    assert ref not in eligible(holds=book)
    assert ref not in eligible(holds=list(holds.itertuples(index=False, name=None)))
    assert ref in eligible()
    batch = engine.match_batch(["P-0001", "P-0002"], 2000, activity="sales_call", now=DAY,
                               holds=holds)
    assert ref not in set(batch["reference_id"])
    assert ref in set(engine.match_batch(["P-0001"], 2000, activity="sales_call",
                                         now=DAY)["reference_id"])
    with pytest.raises(ValueError, match="missing \\['day'\\]"):
        eligible(holds=holds.drop(columns=["day"]))


def test_each_owner_decides_for_their_reference(book: refmatch.RequestBook) -> None:
    rid = book.create("P-0001", "sales_call", DAY + dt.timedelta(days=5), wanted=2, now=at(0))
    first, second = book.propose(rid, now=at(0))["reference_id"][:2]
    book.pick(rid, [first, second], now=at(1))
    book.approve(rid, first, by="owner-1", now=at(2))
    assert book.get(rid)["status"] == "approval_asked"
    book.decline(rid, second, by="owner-2", now=at(3), comment="busy")
    r = book.get(rid)
    assert r["status"] == "approved"
    refs = r["references"].set_index("reference_id")
    assert refs.loc[first, "state"] == "held" and bool(refs.loc[first, "approved"])
    assert refs.loc[second, "state"] == "owner_declined"
    assert list(r["trail"]["reference_id"])[-2:] == [first, second]
    assert list(r["trail"]["to_status"])[-2:] == ["approval_asked", "approved"]
    assert list(book.live_holds(now=at(3))["reference_id"]) == [first]
    with pytest.raises(refmatch.IllegalTransition,
                       match="cannot approve a request that is approved"):
        book.approve(rid, second, now=at(4))
    # While some owner has not decided, a decided or unattached reference is refused.
    other = book.create("P-0003", "sales_call", DAY + dt.timedelta(days=5), wanted=2, now=at(4))
    refs = list(book.propose(other, now=at(4))["reference_id"][:2])
    book.pick(other, refs, now=at(4))
    book.decline(other, refs[0], now=at(5))
    with pytest.raises(refmatch.ValidationError,
                       match=rf"waiting for its owner's decision \({refs[1]}\), got '{refs[0]}'"):
        book.decline(other, refs[0], now=at(5))
    book.decline(other, now=at(6))  # the whole request: the last waiting one
    assert book.get(other)["status"] == "owner_declined"
