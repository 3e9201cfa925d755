"""Reference requests from Python: :class:`RequestBook` over a program database, with requests,
queues and service figures as DataFrames (docs/requests.md).

The C++ ``RequestBook`` does the work (every operation one transaction, holds checked against
every connection's uses and holds); this module converts times (timezone-aware datetimes, UTC,
or ``None`` for now: the interface reads the clock, the library never does) and builds frames.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Iterable, Optional, Sequence

import pandas as pd

from refmatch._database import ProgramDatabase
from refmatch._refmatch import RequestBook as _Book

Moment = Optional[_dt.datetime]


def _epoch(now: Moment) -> int:
    if now is None:
        return int(_dt.datetime.now(_dt.timezone.utc).timestamp())
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (requests are kept in UTC)")
    return int(now.timestamp())


def _time(seconds: int) -> pd.Timestamp:
    return pd.Timestamp(seconds, unit="s", tz="UTC")


def _hours(h: float | _dt.timedelta) -> float:
    return h.total_seconds() / 3600.0 if isinstance(h, _dt.timedelta) else float(h)


_QUEUE_COLUMNS = ["request_id", "opportunity_id", "activity", "status", "needed_by", "hours",
                  "references"]


def _frame(rows: list, columns: list) -> pd.DataFrame:
    frame = pd.DataFrame([list(r) for r in rows], columns=columns)
    for c in columns:
        if c in ("needed_by", "day", "expires_on", "planned_on"):
            frame[c] = pd.to_datetime(frame[c])
    return frame


class RequestBook:
    """The reference requests of a program database. Every operation takes ``now`` (a
    timezone-aware datetime; default: the current time) and ``by`` (who makes it), checks its
    arrow of the state diagram, and commits in one transaction; a refused one raises
    :class:`refmatch.IllegalTransition`, :class:`refmatch.HoldConflict` or
    :class:`refmatch.ValidationError` and changes nothing."""

    def __init__(self, db: ProgramDatabase, *, holds_from: str = "approved",
                 hold_expiry_days: int = 7, max_follow_ups: int = 3, candidates: int = 5,
                 self_serve: Iterable[str] = ("name_drop", "logo_use")) -> None:
        self._db = db
        self._book = _Book(db._db, holds_from, hold_expiry_days, max_follow_ups, candidates,
                           list(self_serve))

    def create(self, opportunity: str, activity: str, needed_by: _dt.date, *, wanted: int = 1,
               notes: str = "", by: str = "python", now: Moment = None) -> int:
        """A new request (status ``requested``); returns its id."""
        return self._book.create(opportunity, activity, wanted, needed_by, notes, by, _epoch(now))

    def propose(self, request_id: int, *, by: str = "python", now: Moment = None,
                comment: str = "") -> pd.DataFrame:
        """The engine's eligible candidates (live holds and declines counted): reference_id,
        final_score, reason."""
        rows = self._book.propose(request_id, by, _epoch(now), comment)
        return _frame(rows, ["reference_id", "final_score", "reason"])

    def pick(self, request_id: int, references: Sequence[str] | str, *, by: str = "python",
             now: Moment = None, comment: str = "") -> None:
        """Attaches references and asks their owners (self-serve activities: fulfilled)."""
        refs = [references] if isinstance(references, str) else list(references)
        self._book.pick(request_id, refs, by, _epoch(now), comment)

    def approve(self, request_id: int, reference: Optional[str] = None, *, by: str = "python",
                now: Moment = None, comment: str = "") -> None:
        """The owner of ``reference`` (an attached reference) approves it: it is held. The
        request stays ``approval_asked`` while another reference waits for its owner and is
        ``approved`` once none waits. Without ``reference``: every waiting one at once."""
        self._book.transition("approve", request_id, by, _epoch(now), comment, reference)

    def decline(self, request_id: int, reference: Optional[str] = None, *, by: str = "python",
                now: Moment = None, comment: str = "") -> None:
        """The owner (while ``approval_asked``) or the customer (while ``customer_asked``) of
        ``reference`` declines it: its hold is released and it is not proposed again for the
        opportunity. Without ``reference``: every waiting (or held) one at once."""
        self._book.transition("decline", request_id, by, _epoch(now), comment, reference)

    def ask(self, request_id: int, channel: str = "email", *, by: str = "python",
            now: Moment = None, comment: str = "") -> None:
        """The first contact with the customer."""
        self._book.contact(request_id, channel, None, by, _epoch(now), comment)

    def contact(self, request_id: int, channel: str, outcome: str = "no_answer", *,
                by: str = "python", now: Moment = None, comment: str = "") -> None:
        """A follow-up; ``accepted`` / ``declined`` move the request on."""
        self._book.contact(request_id, channel, outcome, by, _epoch(now), comment)

    def accept(self, request_id: int, *, by: str = "python", now: Moment = None,
               comment: str = "") -> None:
        self._book.transition("accept", request_id, by, _epoch(now), comment)

    def schedule(self, request_id: int, day: _dt.date, *, by: str = "python",
                 now: Moment = None, comment: str = "") -> None:
        self._book.schedule(request_id, day, by, _epoch(now), comment)

    def fulfil(self, request_id: int, *, day: Optional[_dt.date] = None, by: str = "python",
               now: Moment = None, comment: str = "") -> None:
        """Records the uses in the ledger (on the planned day unless ``day`` says otherwise)."""
        self._book.fulfil(request_id, day, by, _epoch(now), comment)

    def cancel(self, request_id: int, *, by: str = "python", now: Moment = None,
               comment: str = "") -> None:
        self._book.transition("cancel", request_id, by, _epoch(now), comment)

    def feedback(self, request_id: int, rating: int, *, outcome: str = "",
                 would_do_again: bool = True, comment: str = "", by: str = "python",
                 now: Moment = None) -> None:
        self._book.feedback(request_id, rating, outcome, would_do_again, comment, by,
                            _epoch(now))

    def expire(self, *, by: str = "python", now: Moment = None) -> list:
        """Expires the open requests past their expiry day; returns their ids."""
        return self._book.expire(by, _epoch(now))

    def get(self, request_id: int) -> dict:
        """Everything about one request: its fields, and ``references``, ``candidates``,
        ``trail`` and ``outreach`` as DataFrames, ``feedback`` as a dict or None."""
        d = self._book.get(request_id)
        return self._expand(d)

    @staticmethod
    def _expand(d: dict) -> dict:
        out = dict(d)
        out["created_at"] = _time(d["created_at"])
        out["status_at"] = _time(d["status_at"])
        out["references"] = _frame(d["references"], ["reference_id", "state", "day", "event_id",
                                                     "customer_asked", "approved"])
        out["candidates"] = _frame(d["candidates"], ["reference_id", "final_score", "reason"])
        trail = _frame(d["trail"], ["from_status", "to_status", "by", "at", "comment",
                                    "reference_id"])
        trail["at"] = pd.to_datetime(trail["at"], unit="s", utc=True)
        out["trail"] = trail
        outreach = _frame(d["outreach"], ["channel", "day", "outcome", "by", "at"])
        outreach["at"] = pd.to_datetime(outreach["at"], unit="s", utc=True)
        out["outreach"] = outreach
        if d["feedback"] is not None:
            rating, outcome, again, comment = d["feedback"]
            out["feedback"] = {"rating": rating, "outcome": outcome, "would_do_again": again,
                               "comment": comment}
        return out

    def requests(self) -> pd.DataFrame:
        """All requests, one row each: id, status, opportunity_id, activity, wanted, needed_by,
        expires_on, planned_on, requester, created_at, status_at, references (``;``-joined with
        their states)."""
        rows = self._book.list()
        frame = pd.DataFrame({
            "id": pd.Series([r["id"] for r in rows], dtype="int64"),
            "status": [r["status"] for r in rows],
            "opportunity_id": [r["opportunity_id"] for r in rows],
            "activity": [r["activity"] for r in rows],
            "wanted": pd.Series([r["wanted"] for r in rows], dtype="int64"),
            "needed_by": pd.to_datetime(pd.Series([r["needed_by"] for r in rows], dtype=object)),
            "expires_on": pd.to_datetime(pd.Series([r["expires_on"] for r in rows], dtype=object)),
            "planned_on": pd.to_datetime(pd.Series([r["planned_on"] for r in rows], dtype=object)),
            "requester": [r["requester"] for r in rows],
            "created_at": pd.to_datetime([r["created_at"] for r in rows], unit="s", utc=True),
            "status_at": pd.to_datetime([r["status_at"] for r in rows], unit="s", utc=True),
            "references": [";".join(f"{a[0]}:{a[1]}" for a in r["references"]) for r in rows],
        })
        return frame

    def live_holds(self, now: Moment = None) -> pd.DataFrame:
        """The live holds: reference_id, activity, day. :func:`refmatch.assign` takes this
        frame as ``holds``."""
        rows = self._book.live_holds(_epoch(now))
        frame = pd.DataFrame([list(r) for r in rows], columns=["reference_id", "activity", "day"])
        return frame

    def queues(self, now: Moment = None, *, due: float | _dt.timedelta = 72,
               approval: float | _dt.timedelta = 72,
               expiring: float | _dt.timedelta = 72) -> dict:
        """The morning queues as DataFrames (windows in hours or timedeltas): ``due_soon``,
        ``overdue``, ``awaiting_approval``, ``no_candidate``, ``holds_expiring``."""
        raw = self._book.queues(_epoch(now), _hours(due), _hours(approval), _hours(expiring))
        return {name: _frame(rows, _QUEUE_COLUMNS) for name, rows in raw.items()}

    def service(self, now: Moment = None) -> dict:
        """Service figures as DataFrames: ``time_to_fulfil`` (activity, fulfilled, median_hours,
        p90_hours), ``on_time`` (activity, settled, on_time, share), ``by_reference`` and
        ``by_activity`` (key, owner_asked, owner_declined, customer_asked, customer_declined,
        customer_rate), ``by_channel`` and ``by_owner`` (key, attempts, responses, accepted,
        response_rate, participation_rate)."""
        raw = self._book.service(_epoch(now))
        out = {
            "time_to_fulfil": _frame(raw["time_to_fulfil"],
                                     ["activity", "fulfilled", "median_hours", "p90_hours"]),
            "on_time": _frame(raw["on_time"], ["activity", "settled", "on_time"]),
        }
        out["on_time"]["share"] = out["on_time"]["on_time"] / out["on_time"]["settled"]
        for name in ("by_reference", "by_activity"):
            f = _frame(raw[name], ["key", "owner_asked", "owner_declined", "customer_asked",
                                   "customer_declined"])
            f["customer_rate"] = (f["customer_declined"] / f["customer_asked"]).fillna(0.0)
            out[name] = f
        for name in ("by_channel", "by_owner"):
            f = _frame(raw[name], ["key", "attempts", "responses", "accepted"])
            f["response_rate"] = f["responses"] / f["attempts"]
            f["participation_rate"] = f["accepted"] / f["attempts"]
            out[name] = f
        return out


def open_requests(path: str | os.PathLike, **policy) -> RequestBook:
    """The requests of the program database at ``path`` (see :class:`RequestBook` for the
    policy keywords)."""
    from refmatch._database import open_database

    return RequestBook(open_database(path), **policy)
