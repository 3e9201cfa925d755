"""Replaying requests under policies from Python: ``refmatch.simulate``,
``refmatch.request_year`` and ``refmatch.recorded_requests`` (a database's requests).

The C++ replay (``refmatch::simulate``) does the work with the GIL released; this module
converts the requests and policies and shapes the columns that come back into DataFrames.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping, Sequence

import pandas as pd

from refmatch import _refmatch
from refmatch._refmatch import Program, ScoreWeights

REQUEST_COLUMNS = ("id", "day", "prospect_id", "activity", "count", "due", "value")


class Simulation:
    """What :func:`simulate` returns.

    summary: one row per policy (index: the policy's name): method, holds, requests,
        filled_on_time, filled_share, mean_score, value, value_covered, value_covered_share,
        top5_share (share of uses taken by the top 5% of the active references), references
        (active), never_asked, asks, declines, decline_rate, promised, uses, over_limit_uses,
        cooldown_uses, mean_days_to_fill.
    days: one row per policy and day: opened, open (the day's batch), asked, declined, filled,
        expired, used, value (the batch's objective), greedy_value (with ``baseline``).
    requests: one row per policy and request: request_id, filled_on (NaT when not filled in
        time), got, references (comma-separated, in the order promised), score, declines.
    """

    def __init__(self, raw: dict) -> None:
        self.summary = pd.DataFrame(raw["summary"]).set_index("policy")
        self.days = pd.DataFrame(raw["days"])
        self.days["day"] = pd.to_datetime(self.days["day"])
        self.requests = pd.DataFrame(raw["requests"])
        self.requests["filled_on"] = pd.to_datetime(self.requests["filled_on"])

    def __repr__(self) -> str:
        parts = ", ".join(f"{name}: {row['filled_share']:.1%} filled"
                          for name, row in self.summary.iterrows())
        return f"Simulation({parts})"


def request_year(program: Program, *, seed: int = 7, requests: int = 10_000,
                 start: dt.date | None = None, days: int = 365) -> pd.DataFrame:
    """A generated year of requests over the program's prospects (``generate_request_year``):
    columns id, day, prospect_id, activity, count, due, value. ``start`` defaults to the day
    after the bundled sample's day."""
    frame = pd.DataFrame(_refmatch._generate_request_year(program, seed, requests, start, days))
    return frame


def recorded_requests(book: Any, *, since: dt.date | None = None,
                      until: dt.date | None = None) -> pd.DataFrame:
    """The requests of a :class:`refmatch.RequestBook` opened on days in ``[since, until]``
    (either bound optional), any status, with the columns of :func:`request_year`
    (``refmatch::dated_requests``): id (the request id), day (opened), prospect_id (its
    opportunity), activity, count (wanted), due (its needed-by date) and value (the
    opportunity's deal value); ``simulate(db.program, recorded_requests(book))`` replays them."""
    return pd.DataFrame(_refmatch._recorded_requests(book._book, since, until))


def _dates(column: pd.Series) -> list:
    return [d.date() if isinstance(d, (pd.Timestamp, dt.datetime)) else d for d in column]


def _policy(p: Mapping[str, Any] | str) -> dict:
    if isinstance(p, str):
        return {"name": p}
    out = dict(p)
    weights = out.get("weights")
    if isinstance(weights, ScoreWeights):
        out["weights"] = (weights.industry, weights.product, weights.geography, weights.size)
    elif isinstance(weights, Mapping):
        out["weights"] = tuple(float(weights[k]) for k in ("industry", "product", "geography",
                                                            "size"))
    return out


def simulate(program: Program, requests: pd.DataFrame | None = None,
             policies: Sequence[Mapping[str, Any] | str] | None = None, *, seed: int = 1,
             decline_base: float = 0.05, decline_fatigue: float = 0.30, threads: int = 0,
             year: Mapping[str, Any] | None = None) -> Simulation:
    """Replays ``requests`` day by day under each policy (docs/assignment.md, "Replaying a
    policy") and returns the figures side by side.

    requests: a DataFrame with the columns of :func:`request_year` (``count`` and ``value``
    optional), or None for a generated year (``year``: keyword arguments of
    :func:`request_year`). policies: names or dicts with the keys name, method ("optimal" or
    "greedy"), holds, quota_scale, quotas ({activity: QuotaLimit}), per_reference ((uses,
    days)), weights (ScoreWeights, a dict or four numbers), fatigue_weight, weighted,
    candidates, baseline; default: optimal and greedy. A customer asked declines with
    probability ``decline_base + decline_fatigue · utilisation``, drawn from ``seed``.
    """
    if requests is None:
        requests = request_year(program, **dict(year or {}))
    missing = [c for c in ("id", "day", "prospect_id", "activity", "due") if c not in requests]
    if missing:
        raise ValueError(f"requests: missing columns {', '.join(missing)} (expected "
                         f"{', '.join(REQUEST_COLUMNS)})")
    n = len(requests)
    counts = [int(c) for c in requests["count"]] if "count" in requests else [1] * n
    values = [float(v) for v in requests["value"]] if "value" in requests else [0.0] * n
    if policies is None:
        policies = [{"name": "optimal"}, {"name": "greedy", "method": "greedy"}]
    raw = _refmatch._simulate(program, [str(i) for i in requests["id"]],
                              _dates(requests["day"]), [str(p) for p in requests["prospect_id"]],
                              [str(a) for a in requests["activity"]], counts,
                              _dates(requests["due"]), values, [_policy(p) for p in policies],
                              seed, decline_base, decline_fatigue, threads)
    return Simulation(raw)
