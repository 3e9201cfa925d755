"""The Pythonic surface of the engine: keyword options, DataFrames in and out, progress bars.

The C++ ``Engine`` does the work (``_match``, ``_match_batch``, ``_gaps``) with the GIL released;
this module converts what Python users hand it and shapes what comes back.
"""

from __future__ import annotations

import datetime as _dt
import weakref
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from refmatch import _refmatch
from refmatch._frames import prospects_from_frame
from refmatch._refmatch import (
    Engine,
    GapReport,
    MatchOptions,
    MatchResult,
    Program,
    ProspectBatch,
)

#: Columns of a batch result, in order.
RESULT_COLUMNS = ("prospect_id", "prospect_name", "rank", "reference_id", "reference_name",
                  "final", "base", "industry", "product", "geography", "size", "fatigue", "used",
                  "max_uses", "reason")

_OPTION_DEFAULTS: dict = {
    "activity": None, "now": None, "weights": None, "fatigue_weight": 0.5,
    "same_geography": None, "same_sector": False, "cover_all_products": False,
    "min_score": None, "exclusions": (), "predicate": None, "explain": True,
    "use_prospect_activity": True, "holds": None,
}


def _options(options: MatchOptions | None, arguments: Mapping[str, Any], subject: str = "match",
             **fixed: Any) -> MatchOptions:
    """The MatchOptions of a call: `options` as given, or built from the keyword options among
    the caller's `arguments` (its locals()), with `fixed` overriding some of them."""
    # (An entry point without a keyword, `holds` say, takes its default.)
    given = {name: fixed[name] if name in fixed else arguments.get(name, default)
             for name, default in _OPTION_DEFAULTS.items()}
    if options is not None:
        changed = {k: v for k, v in given.items() if v is not _OPTION_DEFAULTS[k]
                   and not (isinstance(v, tuple) and v == ())}
        if changed:
            raise TypeError("give either options=MatchOptions(...) or keyword options, not both "
                            f"(got {sorted(changed)})")
        return options
    kw = dict(given)
    kw["exclusions"] = list(kw["exclusions"])
    engine = arguments.get("self")
    if kw["activity"] is not None and isinstance(engine, Engine):
        # By the program's catalogue (custom activities too); a ValidationError lists them.
        kw["activity"] = engine._activity(kw["activity"], subject)
    kw["holds"] = _holds(kw["holds"], engine, kw["now"], subject)
    return MatchOptions(**kw)


def _day(value: Any) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    return pd.Timestamp(value).date()


def _holds(holds: Any, engine: Any, now: Any, subject: str) -> list | None:
    """The live holds a match counts like uses, as (reference_id, activity, day) tuples: from
    ``RequestBook.live_holds()`` (a DataFrame), a RequestBook itself (its live holds at the
    match's ``now``), or any iterable of (reference_id, activity, day)."""
    if holds is None:
        return None
    if hasattr(holds, "live_holds") and not isinstance(holds, pd.DataFrame):
        moment = None if now is None else _dt.datetime.combine(
            _day(now), _dt.time(), tzinfo=_dt.timezone.utc)
        holds = holds.live_holds(now=moment)
    if isinstance(holds, pd.DataFrame):
        missing = {"reference_id", "activity", "day"} - set(holds.columns)
        if missing:
            raise ValueError(f"holds: expected the columns reference_id, activity and day "
                             f"(RequestBook.live_holds()), missing {sorted(missing)}")
        rows = zip(holds["reference_id"], holds["activity"], holds["day"])
    else:
        rows = (tuple(h) for h in holds)
    out = []
    for ref, activity, day in rows:
        if isinstance(activity, str) and isinstance(engine, Engine):
            activity = engine._activity(activity, subject)
        out.append((str(ref), activity, _day(day)))
    return out


class _Progress:
    """Adapts a progress argument: None/False, True (a tqdm bar), a tqdm-like object, or a
    callable(done, total) whose falsy non-None return cancels."""

    def __init__(self, progress: Any, description: str) -> None:
        self.bar = None
        self.fn = None
        self.own = False
        if progress is None or progress is False:
            return
        if progress is True:
            # Made on the first report, when the total is known: a bar made before prints a
            # stray "0prospect [00:00, ?prospect/s]" line of its own.
            self.description = description
            self.own = True
            return
        if hasattr(progress, "update") and hasattr(progress, "n"):
            self.bar = progress
        elif callable(progress):
            self.fn = progress
        else:
            raise TypeError("progress: expected None, True, a tqdm bar or a callable(done, total)")

    def __call__(self, done: int, total: int) -> Any:
        if self.own and self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(desc=self.description, unit="prospect", total=total)
        if self.bar is not None:
            if self.bar.total != total:
                self.bar.total = total
                self.bar.refresh()
            self.bar.update(done - self.bar.n)
            return None
        return self.fn(done, total)

    @property
    def callback(self) -> Callable | None:
        return None if self.bar is None and self.fn is None and not self.own else self

    def close(self) -> None:
        if self.own and self.bar is not None:
            self.bar.close()


def _prospects(engine: Engine, prospects: Any) -> Any:
    """What _match_batch accepts: a ProspectBatch, Prospect objects and/or store ids."""
    if prospects is None:
        return engine.program.prospects.all()
    if isinstance(prospects, pd.DataFrame):
        return prospects_from_frame(prospects, engine.program.vocabulary)
    if isinstance(prospects, Mapping):
        return prospects_from_frame(pd.DataFrame(dict(prospects)), engine.program.vocabulary)
    if isinstance(prospects, (np.ndarray, pd.Series, pd.Index)):
        return [str(v) for v in np.asarray(prospects).tolist()]
    if isinstance(prospects, (str, _refmatch.Prospect)):
        return [prospects]
    return prospects


def _engine_match(self: Engine, prospect: Any, k: int = 10, *, activity: Any = None,
                  now: Any = None, weights: Any = None, fatigue_weight: float = 0.5,
                  same_geography: str | None = None, same_sector: bool = False,
                  cover_all_products: bool = False, min_score: float | None = None,
                  exclusions: Sequence[str] = (), predicate: Callable | None = None,
                  explain: bool = True, use_prospect_activity: bool = True,
                  holds: Any = None, options: MatchOptions | None = None) -> list:
    """The exact top-k eligible references for one prospect, best first (ties by id).

    prospect: a Prospect, or the id of a prospect in the program's store. The options are those of
    :class:`MatchOptions`: activity (quota eligibility and fatigue; the prospect's own activity
    applies otherwise unless use_prospect_activity=False), now (required with an activity),
    weights (ScoreWeights or a dict), fatigue_weight, the hard filters same_geography ('region',
    'sub_region', 'country'), same_sector, cover_all_products, min_score, extra exclusions, a
    predicate(ReferenceCustomer) -> bool, explain (build the reason text), holds (the live holds
    of reference requests, counted like uses with an activity in force: ``book.live_holds()``, a
    RequestBook, or (reference_id, activity, day) tuples). Returns MatchResult objects;
    ``r.to_dict()`` is the whole explanation.
    """
    opts = _options(options, locals())
    return self._match(prospect, k, opts)


def _engine_explain(self: Engine, prospect: Any, reference_id: str, k: int = 10, *,
                    activity: Any = None, now: Any = None, weights: Any = None,
                    fatigue_weight: float = 0.5, same_geography: str | None = None,
                    same_sector: bool = False, cover_all_products: bool = False,
                    min_score: float | None = None, exclusions: Sequence[str] = (),
                    predicate: Callable | None = None, use_prospect_activity: bool = True,
                    options: MatchOptions | None = None) -> Any:
    """Why not this reference? How ``reference_id`` stands in ``match(prospect, k, ...)``.

    Options as :meth:`Engine.match`. Returns a ReferenceExplanation: ``score`` (its MatchResult,
    computed whether or not it is eligible), ``eligible``, ``rank`` among the eligible
    references, ``returned``, the k-th result (``kth_reference_id``, ``kth_score``) and
    ``reasons``, every reason it is not returned (cause and text: inactive, no consent, at its
    limit until D, in cooldown until D, excluded, filtered out, below min_score, rejected by the
    predicate, below the k-th score); ``summary`` says it in one line.
    Raises NotFoundError for a reference not in the program.
    """
    explain = True
    opts = _options(options, locals(), "explain")
    return self._explain(prospect, reference_id, k, opts)


def _engine_match_batch(self: Engine, prospects: Any = None, k: int = 10, *,
                        activity: Any = None, now: Any = None, weights: Any = None,
                        fatigue_weight: float = 0.5, same_geography: str | None = None,
                        same_sector: bool = False, cover_all_products: bool = False,
                        min_score: float | None = None, exclusions: Sequence[str] = (),
                        predicate: Callable | None = None, explain: bool = True,
                        use_prospect_activity: bool = True, holds: Any = None,
                        options: MatchOptions | None = None, threads: int = 0,
                        progress: Any = None, as_frame: bool = True) -> Any:
    """Matches many prospects on several threads; results equal ``match`` one by one.

    prospects: a DataFrame with the columns of prospects.csv (or a dict of arrays), a
    ProspectBatch, a list of Prospect objects and/or ids of prospects in the program, an array of
    ids, or None for every prospect of the program. Options as :meth:`Engine.match`.
    threads: worker threads (0: one per core). progress: True for a tqdm bar, a tqdm bar, or a
    callable(done, total) that may return False to cancel (MatchCancelled). Ctrl-C raises
    KeyboardInterrupt and stops the batch; the program is never changed by a match.

    Returns a tidy DataFrame, one row per (prospect, rank): prospect_id, prospect_name, rank
    (1-based), reference_id, reference_name, final, base, industry, product, geography, size,
    fatigue, used and max_uses (the quota of the activity in force: Int64, missing without an
    activity or without a limit), reason — or, with as_frame=False, one list of MatchResult per
    prospect.
    """
    opts = _options(options, locals(), "match_batch")
    bar = _Progress(progress, "matching")
    try:
        out = self._match_batch(_prospects(self, prospects), k, opts, threads=threads,
                                progress=bar.callback, as_columns=as_frame)
    finally:
        bar.close()
    if not as_frame:
        return out
    frame = pd.DataFrame(out, columns=list(RESULT_COLUMNS))
    for name in ("used", "max_uses"):
        frame[name] = pd.array(out[name], dtype="Int64")
    return frame


def _engine_gaps(self: Engine, prospects: Any = None, *, threshold: float = 0.5,
                 min_references: int = 1, by_product: bool = False, histogram_bins: int = 10,
                 activity: Any = None, now: Any = None, weights: Any = None,
                 fatigue_weight: float = 0.5, same_geography: str | None = None,
                 same_sector: bool = False, cover_all_products: bool = False,
                 exclusions: Sequence[str] = (), predicate: Callable | None = None,
                 use_prospect_activity: bool = True, holds: Any = None, threads: int = 0,
                 progress: Any = None) -> GapReport:
    """Gap analysis: which prospects have fewer than min_references eligible references scoring
    at least threshold, by NAICS sector x M49 region (x product), sorted by value at risk.

    prospects as :meth:`Engine.match_batch` (None: the program's whole pipeline); holds as
    :meth:`Engine.match` (held references lose their slots in the coverage too). Returns a
    GapReport; ``cells_frame()``, ``prospects_frame()`` and ``heatmap()`` give DataFrames.
    """
    opts = _options(None, locals(), "gaps", min_score=None, explain=False)
    bar = _Progress(progress, "gap analysis")
    try:
        return self._gaps(_prospects(self, prospects), opts, threshold, min_references,
                          by_product, histogram_bins, threads=threads, progress=bar.callback)
    finally:
        bar.close()


def _engine_reduce(self: Engine) -> tuple:
    return (_engine_from_state, (_refmatch._ENGINE_STATE_VERSION, self.program,
                                 self.requested_kernel))


def _engine_from_state(version: int, program: Program, kernel: str) -> Engine:
    if version != _refmatch._ENGINE_STATE_VERSION:
        raise ValueError(f"cannot unpickle Engine: expected state version "
                         f"{_refmatch._ENGINE_STATE_VERSION}, got {version!r}")
    return Engine(program, kernel=kernel)


Engine.match = _engine_match
Engine.explain = _engine_explain
Engine.match_batch = _engine_match_batch
Engine.gaps = _engine_gaps
Engine.__reduce__ = _engine_reduce


# --- Results as DataFrames ----------------------------------------------------------------------

def results_frame(results: Iterable[MatchResult]) -> pd.DataFrame:
    """Explanations of match results, one row each: reference_id, rank, final, base, fatigue,
    the four components, products_matched/requested, quota used/max_uses, reason."""
    rows = []
    for rank, r in enumerate(results, start=1):
        q = r.quota
        rows.append({
            "rank": rank, "reference_id": r.reference_id, "final": r.final, "base": r.base,
            "fatigue": r.fatigue, "industry": r.industry, "product": r.product,
            "geography": r.geography, "size": r.size, "products_matched": r.products_matched,
            "products_requested": r.products_requested,
            "used": None if q is None else q.used, "max_uses": None if q is None else q.max_uses,
            "reason": r.reason})
    return pd.DataFrame(rows, columns=["rank", "reference_id", "final", "base", "fatigue",
                                       "industry", "product", "geography", "size",
                                       "products_matched", "products_requested", "used",
                                       "max_uses", "reason"])


def _cells_frame(self: GapReport) -> pd.DataFrame:
    """One row per cell: sector, sector_title, region, region_title, product, prospects,
    uncovered, pipeline_value, value_at_risk, best-score quantiles."""
    rows = []
    for c in self.cells:
        q = c.best_scores
        rows.append({"sector": c.sector, "sector_title": c.sector_title, "region": c.region,
                     "region_title": c.region_title, "product": c.product,
                     "prospects": c.prospects, "uncovered": c.uncovered,
                     "pipeline_value": c.pipeline_value, "value_at_risk": c.value_at_risk,
                     "best_min": q["min"], "best_median": q["median"], "best_max": q["max"]})
    return pd.DataFrame(rows, columns=["sector", "sector_title", "region", "region_title",
                                       "product", "prospects", "uncovered", "pipeline_value",
                                       "value_at_risk", "best_min", "best_median", "best_max"])


def _prospects_frame(self: GapReport) -> pd.DataFrame:
    """One row per prospect: prospect_id, best_score, qualifying, covered, deal_value, sector,
    region."""
    return pd.DataFrame(
        [{"prospect_id": c.prospect_id, "best_score": c.best_score, "qualifying": c.qualifying,
          "covered": c.covered, "deal_value": c.deal_value, "sector": c.sector,
          "region": c.region} for c in self.prospects],
        columns=["prospect_id", "best_score", "qualifying", "covered", "deal_value", "sector",
                 "region"])


def _heatmap(self: GapReport, value: str = "value_at_risk") -> pd.DataFrame:
    """A sector x region table of ``value`` (a column of cells_frame), summed over products;
    rows and columns are titles, missing cells 0."""
    cells = self.cells_frame()
    if cells.empty:
        return pd.DataFrame()
    return cells.pivot_table(index="sector_title", columns="region_title", values=value,
                             aggfunc="sum", fill_value=0)


GapReport.cells_frame = _cells_frame
GapReport.prospects_frame = _prospects_frame
GapReport.heatmap = _heatmap


# --- Module-level conveniences over a cached engine per program ----------------------------------

_ENGINES: "weakref.WeakKeyDictionary[Program, Engine]" = weakref.WeakKeyDictionary()


def engine_for(program: Program) -> Engine:
    """The engine of a program, built on first use and refreshed (cheaply) on every call."""
    engine = _ENGINES.get(program)
    if engine is None:
        engine = Engine(program)
        _ENGINES[program] = engine
    else:
        engine.refresh()
    return engine


def match(program: Program, prospect: Any, k: int = 10, **options: Any) -> list:
    """``engine_for(program).match(prospect, k, **options)``: see :meth:`Engine.match`."""
    return engine_for(program).match(prospect, k, **options)


def match_batch(program: Program, prospects: Any = None, k: int = 10, **options: Any) -> Any:
    """``engine_for(program).match_batch(prospects, k, **options)``: see
    :meth:`Engine.match_batch`."""
    return engine_for(program).match_batch(prospects, k, **options)


def analyse_gaps(program: Program, prospects: Any = None, **options: Any) -> GapReport:
    """``engine_for(program).gaps(prospects, **options)``: see :meth:`Engine.gaps`."""
    return engine_for(program).gaps(prospects, **options)
