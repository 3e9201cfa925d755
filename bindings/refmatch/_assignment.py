"""The global assignment from Python: ``Engine.assign``, ``refmatch.assign`` and, over a
program database's open requests, ``refmatch.assign_requests``.

The C++ solver (``refmatch::assign``) does the work with the GIL released; this module converts
the call's arguments and shapes the columns that come back into DataFrames.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Sequence

import pandas as pd

from refmatch import _refmatch
from refmatch._engine import _options, _prospects, engine_for
from refmatch._refmatch import Engine, MatchOptions, Program
from refmatch._requests import _epoch


class Assignment:
    """What :meth:`Engine.assign` returns.

    assigned: one row per (demand, reference given): demand (index into the prospects of the
        call), prospect_id, activity, reference_id, use (the j-th new use of that reference for
        that activity in the batch), marginal_score, value (marginal × weight), final and base
        (the engine's scores before the batch), reason (the engine's explanation).
    unfilled: one row per demand that got fewer than it wanted: wanted, got, reason ("no
        eligible reference" or "candidates went to higher-value demands"), contested_reference
        and taken_by (the prospects that got it, comma-separated; from :func:`assign_requests`
        the requests that got it, by request id, as ``refmatch assign`` names them).
    totals: a row per method (optimal, greedy): value (the objective), score, mean_score,
        filled, partial, assigned, value_covered, max_load, load_gini.
    greedy_assigned, greedy_unfilled: the greedy baseline's rows (empty without the baseline).
    stats: rounds, pairs, arcs, priced_in, pricing_queries, settled of the solve.

    From :func:`assign_requests`, every frame of rows also has a request_id column (the request
    of the demand), and ``applied`` has one row per request when the proposal was applied:
    request_id, state ("held", "attached", "fulfilled", "lost_slot", "changed" or "unfilled"),
    references (comma-separated) and message (the workflow's refusal); otherwise it is empty.
    """

    def __init__(self, raw: dict, baseline: bool) -> None:
        self.assigned = pd.DataFrame(raw["optimal"]["assigned"])
        self.unfilled = pd.DataFrame(raw["optimal"]["unfilled"])
        self.greedy_assigned = pd.DataFrame(raw["greedy"]["assigned"])
        self.greedy_unfilled = pd.DataFrame(raw["greedy"]["unfilled"])
        rows = {"optimal": raw["optimal_totals"]}
        if baseline:
            rows["greedy"] = raw["greedy_totals"]
        self.totals = pd.DataFrame.from_dict(rows, orient="index")
        self.stats = dict(raw["stats"])
        self.applied = pd.DataFrame(raw.get("applied", {"request_id": [], "state": [],
                                                        "references": [], "message": []}))
        if "request_ids" in raw:
            ids = list(raw["request_ids"])
            for frame in (self.assigned, self.unfilled, self.greedy_assigned,
                          self.greedy_unfilled):
                frame.insert(0, "request_id",
                             pd.Series([ids[d] for d in frame["demand"]], dtype="int64"))

    def __repr__(self) -> str:
        t = self.totals.loc["optimal"]
        return (f"Assignment(value={t['value']:.4f}, filled={int(t['filled'])}, "
                f"assigned={int(t['assigned'])}, unfilled={len(self.unfilled)})")


def _engine_assign(self: Engine, prospects: Any = None, *, count: int | Sequence[int] = 1,
                   weight: str | Sequence[float] | None = None, candidates: int = 8,
                   per_reference: tuple[int, int] | None = None,
                   holds: Any = None, baseline: bool = True, threads: int = 0,
                   activity: Any = None, now: Any = None, weights: Any = None,
                   fatigue_weight: float = 0.5, same_geography: str | None = None,
                   same_sector: bool = False, cover_all_products: bool = False,
                   min_score: float | None = None, exclusions: Sequence[str] = (),
                   predicate: Callable | None = None, explain: bool = True,
                   use_prospect_activity: bool = True,
                   options: MatchOptions | None = None) -> Assignment:
    """References for many prospects at once: the assignment with the highest total score under
    quotas (docs/assignment.md), beside the greedy baseline.

    prospects: as :meth:`Engine.match_batch` (None: every prospect of the program); each wants
    ``count`` references (a number, or one per prospect) for its own activity (or ``activity``).
    weight: None (maximise the total score), "deal_value" (scores × each prospect's deal value)
    or one weight per prospect. candidates: the engine's top-m per prospect the solve starts
    from (speed only; pricing makes the result the optimum of the full problem).
    per_reference: (uses, days), a cap per reference across activities. holds: live holds, a
    DataFrame with columns reference_id, activity, day, or (reference_id, activity, day)
    tuples. The match options are those of :meth:`Engine.match`.
    """
    opts = _options(options, locals())
    items = _prospects(self, prospects)
    counts = [int(count)] if isinstance(count, int) else [int(c) for c in count]
    if weight is None:
        weight_list = None
    elif isinstance(weight, str):
        if weight != "deal_value":
            raise ValueError(f"weight: expected None, 'deal_value' or one weight per prospect, "
                             f"got {weight!r}")
        weight_list = [p.deal_value for p in _as_prospect_list(self, items)]
    else:
        weight_list = [float(w) for w in weight]
    if holds is None:
        hold_list = []
    elif isinstance(holds, pd.DataFrame):
        hold_list = list(zip(holds["reference_id"], holds["activity"], holds["day"]))
    else:
        hold_list = [tuple(h) for h in holds]
    raw = _refmatch._assign(self, items, counts, weight_list, opts, candidates,
                            None if per_reference is None else tuple(per_reference),
                            hold_list, baseline, threads)
    return Assignment(raw, baseline)


def _as_prospect_list(engine: Engine, items: Any) -> list:
    """The Prospect objects behind what _prospects returned (for their deal values)."""
    out = []
    for item in items:
        out.append(engine.program.prospects.at(item) if isinstance(item, str) else item)
    return out


Engine.assign = _engine_assign


def assign(program: Program, prospects: Any = None, **options: Any) -> Assignment:
    """``engine_for(program).assign(prospects, **options)``: see :meth:`Engine.assign`."""
    return engine_for(program).assign(prospects, **options)


def assign_requests(book: Any, *, apply: bool = False, weight: str | None = None,
                    candidates: int = 8, per_reference: tuple[int, int] | None = None,
                    baseline: bool = True, threads: int = 0, by: str = "python",
                    now: _dt.datetime | None = None, weights: Any = None,
                    fatigue_weight: float = 0.5, same_geography: str | None = None,
                    same_sector: bool = False, cover_all_products: bool = False,
                    min_score: float | None = None, exclusions: Sequence[str] = (),
                    predicate: Callable | None = None, explain: bool = True,
                    use_prospect_activity: bool = True,
                    options: MatchOptions | None = None) -> Assignment:
    """References for every open request of a :class:`refmatch.RequestBook` at once
    (``refmatch::open_request_demands``: requested, proposed or declined, not expired; each its
    opportunity, activity and wanted count, never a reference it had or whose customer declined
    the opportunity), the live holds counted, beside the greedy baseline.

    apply: also pick the assigned references for each request through the book's workflow
    (``refmatch::apply_assignment``: a declined request is proposed again first; every slot is
    re-checked inside the pick's transaction, so a request whose slot went meanwhile is
    reported in ``applied`` as "lost_slot", never forced). With the book's ``holds_from=
    "approval_asked"`` the picks hold the slots; with "approved" they wait for the owners.
    weight: None (maximise the total score) or "deal_value" (scores × each opportunity's deal
    value). now: a timezone-aware datetime (default: the current time), the day quotas are
    evaluated on and the time the picks are recorded at. The other options are those of
    :meth:`Engine.assign`; the activity is always each request's own.
    """
    if weight not in (None, "deal_value"):
        raise ValueError(f"weight: expected None or 'deal_value', got {weight!r}")
    opts = _options(options, locals(), "assign_requests", activity=None, now=None)
    raw = _refmatch._assign_requests(book._book, _epoch(now), opts, candidates,
                                     weight == "deal_value",
                                     None if per_reference is None else tuple(per_reference),
                                     baseline, threads, apply, by)
    return Assignment(raw, baseline)
