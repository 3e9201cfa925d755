"""Measuring the program and growing it, from Python (docs/measurement.md).

Influence (revenue credited to the uses of references, win rates with and without them), balance
of use, gap-driven recruiting, the materials library and the HTML report. The C++ functions do the
work without the GIL; this module reads outcomes and content (files or DataFrames, with the file
formats' checks and messages) and shapes what comes back into DataFrames.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from refmatch import _refmatch
from refmatch._database import ProgramDatabase
from refmatch._engine import _options
from refmatch._refmatch import MatchOptions, Program


def _table_text(table: Any, what: str) -> tuple[str, str]:
    """CSV text and a source name from a path or a DataFrame."""
    if isinstance(table, pd.DataFrame):
        return table.to_csv(index=False), what
    path = Path(os.fspath(table))
    return path.read_text(encoding="utf-8"), path.name


def load_outcomes(table: Any, program: Program) -> list:
    """Opportunity outcomes from an ``outcomes.csv`` path, a program directory holding one, or a
    DataFrame with its columns (docs/data-formats.md); checked against the program's vocabulary.
    Raises ParseError naming the file (or "outcomes"), line and field."""
    if not isinstance(table, pd.DataFrame) and Path(os.fspath(table)).is_dir():
        table = Path(os.fspath(table)) / "outcomes.csv"
    text, source = _table_text(table, "outcomes")
    return _refmatch._parse_outcomes(text, source, program)


def load_content(table: Any, program: Program) -> list:
    """The materials library from a ``content.csv`` path, a program directory holding one, or a
    DataFrame with its columns; featured references must be in the program."""
    if not isinstance(table, pd.DataFrame) and Path(os.fspath(table)).is_dir():
        table = Path(os.fspath(table)) / "content.csv"
    text, source = _table_text(table, "content")
    return _refmatch._parse_content(text, source, program)


def _outcomes_of(outcomes: Any, program: Program) -> list:
    if isinstance(outcomes, list):
        return outcomes
    return load_outcomes(outcomes, program)


def _rows(table: Any, columns: list) -> list:
    """Tuples of ``columns`` from a DataFrame, or the rows of any iterable as tuples."""
    if isinstance(table, pd.DataFrame):
        return list(table[columns].itertuples(index=False, name=None))
    return [] if table is None else [tuple(r) for r in table]


def request_figures(db: ProgramDatabase, now: dt.date) -> dict:
    """What the request book of a program database says as of the start of ``now``:
    ``service_levels`` (label: the activity, requests settled, met on time, median_days to
    fulfil) and ``declines`` (reference_id, asked, declined: the customers' answers) as
    DataFrames; the figures :func:`measure_balance` and :func:`write_report` take from a
    database."""
    raw = _refmatch._request_figures(db._db, now)
    return {"service_levels": pd.DataFrame(raw["service_levels"],
                                           columns=["label", "requests", "met", "median_days"]),
            "declines": pd.DataFrame(raw["declines"],
                                     columns=["reference_id", "asked", "declined"])}


class Influence:
    """What :func:`measure_influence` returns.

    deals: one row per deal closed in the period (opportunity_id, status, amount, created,
        closed, sector, region, size, uses: the influencing uses).
    credits: one row per influencing use (opportunity_id, reference_id, activity, day, credit).
    by_reference, by_activity, by_segment, by_period: credited revenue, won deals, uses.
    versus: closed/won counts with and without reference activity and the (value, low, high)
        estimates win_rate_with, win_rate_without, pooled_ratio (Mantel-Haenszel),
        deal_size_difference, cycle_days_difference (bootstrap). An association, not a cause.
    """

    def __init__(self, raw: dict) -> None:
        self.deals = pd.DataFrame(raw["deals"])
        self.credits = pd.DataFrame(raw["credits"])
        self.by_reference = pd.DataFrame(raw["by_reference"])
        self.by_activity = pd.DataFrame(raw["by_activity"])
        self.by_segment = pd.DataFrame(raw["by_segment"])
        self.by_period = pd.DataFrame(raw["by_period"])
        self.versus = dict(raw["versus"])
        self.won_revenue = raw["won_revenue"]
        self.influenced_revenue = raw["influenced_revenue"]
        self.credited_revenue = raw["credited_revenue"]
        self.influencing_uses = raw["influencing_uses"]
        self.unmatched_uses = raw["unmatched_uses"]

    def __repr__(self) -> str:
        return (f"Influence(deals={len(self.deals)}, won_revenue={self.won_revenue:,.0f}, "
                f"influenced_revenue={self.influenced_revenue:,.0f})")


def measure_influence(program: Program | ProgramDatabase, outcomes: Any = None, *,
                      rule: str = "even",
                      window_days: int = 365, half_life_days: float = 30.0,
                      start: dt.date | None = None, end: dt.date | None = None,
                      period: str = "quarter",
                      deal_size_bounds: Sequence[float] = (25000, 100000, 500000),
                      resamples: int = 2000, seed: int = 1) -> Influence:
    """Revenue influenced by references: the program's uses joined with ``outcomes`` (a list from
    :func:`load_outcomes`, a path, a directory or a DataFrame) and credited by ``rule`` (full,
    even, first, last, time_decay); deals closed in [start, end]. On a
    :class:`ProgramDatabase`, ``outcomes`` defaults to the database's."""
    if isinstance(program, ProgramDatabase):
        if outcomes is None:
            outcomes = _refmatch._database_outcomes(program._db)
        program = program.program
    if outcomes is None:
        raise ValueError("outcomes: expected a list, a path, a directory or a DataFrame of "
                         "opportunity outcomes (a Program has none of its own), got None")
    items = _outcomes_of(outcomes, program)
    return Influence(_refmatch._influence(program, items, rule, window_days, half_life_days,
                                          start, end, period, list(deal_size_bounds), resamples,
                                          seed))


class Balance:
    """What :func:`measure_balance` returns: references (one row per active reference: uses,
    has_headroom, at_quota, last_touch), lorenz (share of references, share of uses), gini,
    top5_share, top10_share, and the id lists never_asked_with_headroom, at_quota,
    not_contacted, high_decline."""

    def __init__(self, raw: dict) -> None:
        self.references = pd.DataFrame(raw["references"])
        self.lorenz = pd.DataFrame(raw["lorenz"], columns=["references", "uses"])
        for key in ("uses", "gini", "top5_share", "top10_share", "never_asked_with_headroom",
                    "at_quota", "not_contacted", "high_decline"):
            setattr(self, key, raw[key])

    def __repr__(self) -> str:
        return (f"Balance(references={len(self.references)}, uses={self.uses}, "
                f"gini={self.gini:.3f}, top10_share={self.top10_share:.3f})")


def measure_balance(program: Program | ProgramDatabase, now: dt.date, *, period_days: int = 365,
                    not_contacted_days: int = 90, declines: Any = None) -> Balance:
    """Balance of use as of ``now``. declines: asks and declines per reference from the requests
    workflow, a DataFrame with columns reference_id, asked, declined (or tuples); on a
    :class:`ProgramDatabase` they default to its request book's (:func:`request_figures`)."""
    if isinstance(program, ProgramDatabase):
        if declines is None:
            declines = _refmatch._request_figures(program._db, now)["declines"]
        program = program.program
    rows = _rows(declines, ["reference_id", "asked", "declined"])
    return Balance(_refmatch._balance(program, now, period_days, not_contacted_days, rows))


class Recruits:
    """What :func:`recommend_recruits` returns: candidates (reference_id, value_covered, covers,
    qualifies_for, advocacy, advocacy_coverage; by value covered), shortlist (reference_id,
    marginal_value, cumulative_value, newly_covered), and prospects, uncovered, pipeline_value,
    value_at_risk before any recruit."""

    def __init__(self, raw: dict) -> None:
        self.candidates = pd.DataFrame(raw["candidates"])
        self.shortlist = pd.DataFrame(raw["shortlist"])
        for key in ("prospects", "uncovered", "pipeline_value", "value_at_risk"):
            setattr(self, key, raw[key])

    def __repr__(self) -> str:
        return (f"Recruits(candidates={len(self.candidates)}, shortlist={len(self.shortlist)}, "
                f"value_at_risk={self.value_at_risk:,.0f})")


def recommend_recruits(program: Program, *, threshold: float = 0.5, min_references: int = 1,
                       shortlist: int = 10, include_paused: bool = False, threads: int = 0,
                       activity: Any = None, now: Any = None, weights: Any = None,
                       fatigue_weight: float = 0.5, same_geography: str | None = None,
                       same_sector: bool = False, cover_all_products: bool = False,
                       min_score: float | None = None, exclusions: Sequence[str] = (),
                       predicate: Any = None, explain: bool = True,
                       use_prospect_activity: bool = True,
                       options: MatchOptions | None = None) -> Recruits:
    """Gap-driven recruiting over the program's open prospects: the value at risk each candidate
    would cover if it became active, and a greedy shortlist (docs/measurement.md)."""
    opts = _options(options, locals())
    return Recruits(_refmatch._recruit(program, opts, threshold, min_references, shortlist,
                                       include_paused, threads))


def match_content(program: Program, content: Any, prospect: Any, k: int = 5, *,
                  now: dt.date) -> pd.DataFrame:
    """The best ``k`` usable items of the materials library for a prospect (a Prospect or the id
    of one in the program), with the references' score and its explanation."""
    items = content if isinstance(content, list) else load_content(content, program)
    if isinstance(prospect, str):
        prospect = program.prospects.at(prospect)
    return pd.DataFrame(_refmatch._match_content(program, items, prospect, k,
                                                 MatchOptions(now=now)))


def write_report(program: Program | ProgramDatabase, path: Any, *, outcomes: Any = None,
                 content: Any = None, now: dt.date, rule: str = "even",
                 activity: str = "sales_call", threshold: float = 0.5, shortlist: int = 10,
                 service_levels: Any = None, declines: Any = None) -> Path:
    """Writes the self-contained HTML report (what ``refmatch report`` writes). service_levels:
    from the requests workflow, rows of (label, requests, met, median_days) or a DataFrame with
    those columns; declines: rows of (reference_id, asked, declined). On a
    :class:`ProgramDatabase` each defaults to the database's: its outcomes and content, and its
    request book's service levels and declines as of ``now``."""
    if isinstance(program, ProgramDatabase):
        db = program._db
        if outcomes is None:
            outcomes = _refmatch._database_outcomes(db)
        if content is None:
            content = _refmatch._database_content(db)
        if service_levels is None or declines is None:
            figures = _refmatch._request_figures(db, now)
            service_levels = figures["service_levels"] if service_levels is None else service_levels
            declines = figures["declines"] if declines is None else declines
        program = program.program
    items = [] if outcomes is None else _outcomes_of(outcomes, program)
    library = [] if content is None else (content if isinstance(content, list)
                                          else load_content(content, program))
    levels = _rows(service_levels, ["label", "requests", "met", "median_days"])
    asked = _rows(declines, ["reference_id", "asked", "declined"])
    act = program.vocabulary.activities.at(activity)
    _refmatch._write_report(os.fspath(path), program, items, library, now, rule, act, threshold,
                            shortlist, levels, asked)
    return Path(os.fspath(path))


__all__ = ["Balance", "Influence", "Recruits", "load_content", "load_outcomes", "match_content",
           "measure_balance", "measure_influence", "recommend_recruits", "request_figures",
           "write_report"]
