"""pandas in and out: programs from DataFrames, programs as DataFrames.

DataFrames use the column names of the CSV/JSON files (docs/data-formats.md). Each column of a
frame is turned into the text a CSV file would hold (vectorised where the dtype allows) and the
columns are read by the same C++ record parser as a file, so the checks and the messages are the
file's; a message names the frame, the row (0-based position) and its index label::

    prospects frame row 3 (index 'P-4'): field 'industry': expected a NAICS 2022 code, got 'Fintech'

Unknown columns, missing required columns and bad values all raise :class:`refmatch.ParseError`
with ``row``/``index`` attributes (``None`` for a column error).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from refmatch._refmatch import (
    ActivityCatalog,
    ActivityConsent,
    ActivityId,
    ParseError,
    Product,
    ProductCatalog,
    Program,
    ProspectBatch,
    QuotaLimit,
    QuotaPolicy,
    ReferenceStatus,
    Vocabulary,
    _utilisation_columns,
    check_program_columns,
    parse_references_columns,
    parse_usage_columns,
    read_program_columns,
    standard_vocabulary,
)

# How each column is written as CSV text.
_LIST_COLUMNS = {"products", "exclusions", "consents"}
_INT_COLUMNS = {"size_band", "employees", "nps", "max_uses", "window_days", "cooldown_days"}
_DATE_COLUMNS = {"last_contact", "needed_by", "date"}
# Names of the record attributes that the file formats spell differently.
_ALIASES = {"size": "size_band", "day": "date"}


def _activity_name(value: Any, vocabulary: Vocabulary | None) -> str:
    if isinstance(value, ActivityId):
        if vocabulary is not None and value.value < len(vocabulary.activities):
            return vocabulary.activities.name(value)
        return value.name
    return str(value)


def _consent_text(item: Any, vocabulary: Vocabulary | None) -> str:
    if isinstance(item, ActivityConsent):
        name = _activity_name(item.activity, vocabulary)
        limit = item.limit
        if limit is None:
            return name
        max_uses = "-" if limit.max_uses is None else str(limit.max_uses)
        return f"{name}:{max_uses}/{limit.window_days}/{limit.cooldown_days}"
    return _activity_name(item, vocabulary)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return bool(value is pd.NA)


def _cell_text(value: Any, column: str, vocabulary: Vocabulary | None) -> str:
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        if column == "consents":
            return ";".join(_consent_text(v, vocabulary) for v in value)
        return ";".join(str(v) for v in value)
    if column == "consents" and isinstance(value, Mapping):
        parts = []
        for activity, limit in value.items():
            parts.append(_consent_text(ActivityConsent(activity, limit), vocabulary)
                         if isinstance(limit, QuotaLimit) or limit is None
                         else f"{_activity_name(activity, vocabulary)}:{limit}")
        return ";".join(parts)
    if _is_missing(value):
        return ""
    if isinstance(value, ActivityId):
        return _activity_name(value, vocabulary)
    if isinstance(value, ReferenceStatus):
        return value.label
    if isinstance(value, (_dt.date, pd.Timestamp)):
        return value.isoformat()[:10]
    if isinstance(value, (float, np.floating)) and column in _INT_COLUMNS and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def _with_nulls(texts: list, missing: np.ndarray) -> list:
    """``texts`` with None (an empty field) where ``missing`` is set."""
    for i in np.flatnonzero(missing).tolist():
        texts[i] = None
    return texts


def _texts(values: np.ndarray, missing: np.ndarray | None = None,
           text: Callable[[Any], str] = str) -> list:
    """``text`` of each value, None (an empty field) where ``missing`` is set or the value is NaN;
    each distinct value is converted once (numpy's own conversion to str is slower)."""
    codes, uniques = pd.factorize(values)
    texts = np.array([text(u) for u in uniques.tolist()] + [None], dtype=object)
    if missing is not None and missing.any():
        codes = np.where(missing, -1, codes)
    return texts[codes].tolist()


def _day_text(day: int) -> str:
    return str(np.datetime64(day, "D"))


def _column_text(series: pd.Series, column: str, vocabulary: Vocabulary | None) -> list:
    """The column as a list of str or None (an empty field): the text a CSV file would hold,
    vectorised for dates, numbers and booleans."""
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype) and column in _DATE_COLUMNS:
        if getattr(dtype, "tz", None) is not None:
            series = series.dt.tz_localize(None)  # the local calendar day
        days = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        return _texts(days.view(np.int64), np.isnat(days), _day_text)
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        missing = series.isna().to_numpy()
        numpy_dtype = getattr(dtype, "numpy_dtype", dtype)
        if missing.any():
            return _texts(series.to_numpy(dtype=numpy_dtype, na_value=numpy_dtype.type(0)),
                          missing)
        return _texts(series.to_numpy(dtype=numpy_dtype))
    if pd.api.types.is_float_dtype(dtype):
        values = series.to_numpy(dtype=getattr(dtype, "numpy_dtype", dtype), na_value=np.nan)
        if column in _INT_COLUMNS:
            present = values[~np.isnan(values)]
            if not (np.all(np.isfinite(present)) and np.all(present == np.round(present))
                    and np.all(np.abs(present) < 2.0**63)):
                # Non-integral values: written as they are, and reported by the parser.
                return [_cell_text(v, column, vocabulary) for v in values.tolist()]
            return _texts(np.where(np.isnan(values), 0, values).astype(np.int64),
                          np.isnan(values))
        if values.dtype != np.float64:  # float32's own shortest text ('0.1'), as to_csv wrote
            return _with_nulls(values.astype(str).tolist(), np.isnan(values))
        return _texts(values)
    values = series.to_numpy(dtype=object)
    if column in _LIST_COLUMNS and column != "consents":
        if set(map(type, values)) == {list}:
            try:
                return list(map(";".join, values))
            except TypeError:  # items that are not str
                pass
        return [v if type(v) is str else _cell_text(v, column, vocabulary)
                for v in values.tolist()]
    if column not in _LIST_COLUMNS:
        if pd.api.types.infer_dtype(values, skipna=False) == "string":
            return values.tolist()
        if pd.api.types.infer_dtype(values, skipna=True) == "string":  # and missing values
            return _with_nulls(values.tolist(), pd.isna(values))
    return [_cell_text(v, column, vocabulary) for v in values.tolist()]


def _frame_columns(frame: pd.DataFrame, vocabulary: Vocabulary | None) -> dict:
    """The columns of a frame as {name: list of str or None}, named as in the files."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    renamed = {c: _ALIASES[c] for c in frame.columns
               if c in _ALIASES and _ALIASES[c] not in frame.columns}
    columns = {}
    for position, name in enumerate(frame.columns):
        column = renamed.get(name, str(name))
        columns[column] = _column_text(frame.iloc[:, position], column, vocabulary)
    return columns


def _row_error(error: ParseError, frame: pd.DataFrame, source: str) -> ParseError:
    # Errors from columns carry line = row + 1, or no line for a column error.
    message = str(error)
    prefix = f"{source}:{error.line}: " if error.line is not None else f"{source}: "
    rest = message[len(prefix):] if message.startswith(prefix) else message
    row = None if error.line is None else error.line - 1
    if row is None:
        text = f"{source}: {rest}"
        label = None
    else:
        label = frame.index[row]
        text = f"{source} row {row} (index {label!r}): {rest}"
    out = ParseError(text)
    out.file = source
    out.line = None
    out.row = row
    out.index = label
    out.field = error.field
    out.expected = error.expected
    out.found = error.found
    return out


def _parse_frame(frame: pd.DataFrame, vocabulary: Vocabulary, source: str,
                 parse: Callable[..., Any]) -> Any:
    columns = _frame_columns(frame, vocabulary)
    try:
        return parse(columns, vocabulary, source=source)
    except ParseError as error:
        raise _row_error(error, frame, source) from None


def references_from_frame(frame: pd.DataFrame, vocabulary: Vocabulary) -> list:
    """Reference customers from a DataFrame with the columns of references.csv.

    Required: ``id``. Optional: name, industry, products (a list or 'P1;P2'), country,
    size_band (or employees), status, consents (a list of activities / ActivityConsent, a dict
    {activity: QuotaLimit | None}, or 'sales_call;case_study:2/365/90'), nps, csat, health, owner,
    last_contact. Raises ParseError naming the column and the row.
    """
    return _parse_frame(frame, vocabulary, "references frame", parse_references_columns)


def prospects_from_frame(frame: pd.DataFrame, vocabulary: Vocabulary) -> ProspectBatch:
    """Prospects from a DataFrame with the columns of prospects.csv, converted once to C++.

    Required: ``id``. Optional: name, industry, products, country, size_band (or employees),
    deal_value, stage, activity, needed_by, exclusions, owner. Raises ParseError naming the
    column and the row.
    """
    return _parse_frame(frame, vocabulary, "prospects frame", ProspectBatch.from_columns)


def usage_from_frame(frame: pd.DataFrame, vocabulary: Vocabulary) -> list:
    """Usage events from a DataFrame with the columns reference_id, activity, opportunity_id,
    date."""
    return _parse_frame(frame, vocabulary, "usage frame", parse_usage_columns)


def _products(products: Any) -> ProductCatalog:
    if products is None:
        return ProductCatalog()
    if isinstance(products, ProductCatalog):
        return products
    if isinstance(products, pd.DataFrame):
        unknown = set(products.columns) - {"id", "name", "family"}
        if "id" not in products.columns or unknown:
            raise ValueError("products frame: expected the columns id, name, family; "
                             + (f"unknown column {sorted(unknown)[0]!r}" if unknown else "no 'id' column"))
        fill = products.reindex(columns=["id", "name", "family"]).fillna("")
        return ProductCatalog([Product(str(i), name=str(n), family=str(f))
                               for i, n, f in fill.itertuples(index=False)])
    return ProductCatalog(list(products))


def _vocabulary_and_policy(vocabulary: Vocabulary | None, products: Any,
                           quotas: Mapping[Any, QuotaLimit] | pd.DataFrame | None) -> tuple:
    """The vocabulary and default quotas of a program from frames: products and the quota table
    first (the quota table may declare custom activity types), as in every program."""
    if vocabulary is not None and products is not None:
        raise TypeError("give either a vocabulary or products, not both")
    items: list = []
    if quotas is not None:
        if isinstance(quotas, pd.DataFrame):
            items = [
                (row["activity"], QuotaLimit(
                    max_uses=None if _is_missing(row.get("max_uses")) else int(row["max_uses"]),
                    window_days=int(row.get("window_days", 365)),
                    cooldown_days=int(row.get("cooldown_days", 0))))
                for _, row in quotas.iterrows()]
        else:
            items = list(quotas.items())
    if vocabulary is None:
        activities = ActivityCatalog()
        for activity, _ in items:
            if isinstance(activity, str):
                activities.add(activity)
        vocabulary = standard_vocabulary(_products(products), activities=activities)
    policy = QuotaPolicy()
    for activity, limit in items:
        policy.set(vocabulary.activities.at(activity) if isinstance(activity, str) else activity, limit)
    return vocabulary, policy


_FRAME_SOURCES = {"references frame": "references", "prospects frame": "prospects",
                  "usage frame": "usage"}


def _frames_columns(vocabulary: Vocabulary, frames: Mapping[str, pd.DataFrame | None]) -> dict:
    return {table: None if frame is None else _frame_columns(frame, vocabulary)
            for table, frame in frames.items()}


def from_frames(vocabulary: Vocabulary | None = None, *, products: Any = None,
                references: pd.DataFrame | None = None, prospects: pd.DataFrame | None = None,
                usage: pd.DataFrame | None = None,
                quotas: Mapping[Any, QuotaLimit] | pd.DataFrame | None = None,
                errors: str = "raise") -> Program:
    """Builds a program from DataFrames.

    vocabulary: the program's codes; by default the standard one (NAICS 2022, UN M49, default size
    bands) with ``products`` (a ProductCatalog, Product objects, ids, or a DataFrame with id,
    name, family). references / prospects / usage: DataFrames with the columns of the CSV files.
    quotas: {activity: QuotaLimit} or a DataFrame with activity, max_uses, window_days,
    cooldown_days; with the standard vocabulary, an activity name it does not know is registered
    as a custom activity type (as in quotas.csv). All or nothing: on an error no program is
    returned. errors: "raise" (the first error, a ParseError naming frame, row and index) or
    "collect": then every problem of the frames is raised at once, a ParseError whose
    ``problems`` attribute is the DataFrame of :func:`check_frames`.
    """
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors: expected 'raise' or 'collect', got {errors!r}")
    if errors == "collect":
        problems = check_frames(vocabulary, products=products, references=references,
                                prospects=prospects, usage=usage, quotas=quotas)
        if len(problems):
            error = ParseError(f"{len(problems)} problem(s) in the frames; the first: "
                               f"{problems['message'].iloc[0]}")
            error.problems = problems
            raise error
    vocabulary, policy = _vocabulary_and_policy(vocabulary, products, quotas)
    # The tables in the order of every program (products and quotas make the vocabulary, then
    # references, prospects, usage); ProgramTables.assemble builds the program, as loaders do.
    frames = {"references": references, "prospects": prospects, "usage": usage}
    try:
        tables = read_program_columns(vocabulary, policy, **_frames_columns(vocabulary, frames))
    except ParseError as error:
        frame = frames.get(_FRAME_SOURCES.get(error.file or "", ""))
        if frame is None:
            raise
        raise _row_error(error, frame, error.file) from None
    return tables.assemble()


#: Columns of :func:`check_frames`.
PROBLEM_COLUMNS = ("table", "row", "index", "field", "expected", "found", "message")


def check_frames(vocabulary: Vocabulary | None = None, *, products: Any = None,
                 references: pd.DataFrame | None = None, prospects: pd.DataFrame | None = None,
                 usage: pd.DataFrame | None = None,
                 quotas: Mapping[Any, QuotaLimit] | pd.DataFrame | None = None) -> pd.DataFrame:
    """Every problem of the frames :func:`from_frames` would be given, instead of the first.

    The same arguments as from_frames; the frames are read by the C++ record parser collecting
    errors (each table keeps going past a bad row, usage is checked against every row's id, so
    a bad reference is reported once), and when every row reads, the program is assembled, its
    error one more row. Returns a DataFrame, one row per problem, in table order: table
    ('references', 'prospects', 'usage', or 'program' for a rule across tables), row (0-based
    position in the frame; None for a column error), index (the row's index label), field,
    expected, found and message. Empty: from_frames builds the program.
    """
    vocabulary, policy = _vocabulary_and_policy(vocabulary, products, quotas)
    frames = {"references": references, "prospects": prospects, "usage": usage}
    found = check_program_columns(vocabulary, policy, **_frames_columns(vocabulary, frames))
    rows = []
    for e in found:
        table = _FRAME_SOURCES.get(e["file"], e["file"])
        frame = frames.get(table)
        row = e["line"] - 1 if e["line"] else None
        index = frame.index[row] if frame is not None and row is not None else None
        message = e["message"]
        if frame is not None:
            message = str(_row_error(_as_parse_error(e), frame, e["file"]))
        rows.append({"table": table, "row": row, "index": index, "field": e["field"] or None,
                     "expected": e["expected"], "found": e["found"], "message": message})
    out = pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))
    out["row"] = out["row"].astype("Int64")
    return out


def _as_parse_error(e: Mapping[str, Any]) -> ParseError:
    error = ParseError(e["message"])
    error.file = e["file"]
    error.line = e["line"] or None
    error.field = e["field"] or None
    error.expected = e["expected"]
    error.found = e["found"]
    return error


def _dates(values: list) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype=object))


def references_frame(program: Program) -> pd.DataFrame:
    """The program's references as a DataFrame (columns of references.csv; products and consents
    as lists)."""
    vocab = program.vocabulary
    rows = [r.to_dict() for r in program.references.all()]
    frame = pd.DataFrame(rows, columns=["id", "name", "industry", "products", "country", "size",
                                        "status", "consents", "nps", "csat", "health", "owner",
                                        "last_contact"])
    frame = frame.rename(columns={"size": "size_band"})
    frame["size_band"] = frame["size_band"].astype("Int64")
    frame["nps"] = frame["nps"].astype("Int64")
    frame["csat"] = frame["csat"].astype(float)
    frame["health"] = frame["health"].astype(float)
    frame["consents"] = [[_consent_text(c, vocab) for c in cs] for cs in frame["consents"]]
    frame["last_contact"] = _dates(list(frame["last_contact"]))
    return frame


def prospects_frame(program: Program) -> pd.DataFrame:
    """The program's prospects as a DataFrame (columns of prospects.csv; lists as lists)."""
    vocab = program.vocabulary
    rows = [p.to_dict() for p in program.prospects.all()]
    frame = pd.DataFrame(rows, columns=["id", "name", "industry", "products", "country", "size",
                                        "deal_value", "stage", "activity", "needed_by",
                                        "exclusions", "owner"])
    frame = frame.rename(columns={"size": "size_band"})
    frame["size_band"] = frame["size_band"].astype("Int64")
    frame["deal_value"] = frame["deal_value"].astype(float)
    frame["activity"] = [None if a is None else _activity_name(a, vocab) for a in frame["activity"]]
    frame["needed_by"] = _dates(list(frame["needed_by"]))
    return frame


def usage_frame(program: Program) -> pd.DataFrame:
    """The usage ledger as a DataFrame: reference_id, activity, opportunity_id, date."""
    vocab = program.vocabulary
    events = program.usage.events()
    return pd.DataFrame({
        "reference_id": [e.reference_id for e in events],
        "activity": [_activity_name(e.activity, vocab) for e in events],
        "opportunity_id": [e.opportunity_id for e in events],
        "date": _dates([e.day for e in events]),
    })


def products_frame(program: Program) -> pd.DataFrame:
    """The product catalogue as a DataFrame: id, name, family."""
    products = program.vocabulary.products.products
    return pd.DataFrame({"id": [p.id for p in products], "name": [p.name for p in products],
                         "family": [p.family for p in products]})


def quotas_frame(program: Program) -> pd.DataFrame:
    """The default quota of every activity: activity, max_uses, window_days, cooldown_days."""
    vocab = program.vocabulary
    quotas = program.quotas
    rows = []
    for name in vocab.activities.names:
        limit = quotas.limit(vocab.activities.at(name))
        rows.append((name, limit.max_uses, limit.window_days, limit.cooldown_days))
    frame = pd.DataFrame(rows, columns=["activity", "max_uses", "window_days", "cooldown_days"])
    frame["max_uses"] = frame["max_uses"].astype("Int64")
    return frame


#: Columns of :func:`utilisation_frame`.
UTILISATION_COLUMNS = ("reference_id", "name", "status", "activity", "used", "max_uses",
                       "window_days", "cooldown_days", "last_use", "cooldown_end", "headroom",
                       "never_used", "eligible", "reason")


def utilisation_frame(program: Program, now: Any, *, activity: Any = None,
                      active_only: bool = False) -> pd.DataFrame:
    """Utilisation on ``now``: one row per reference x activity it consents to, the quota as the
    engine evaluates it (the numbers ``refmatch stats`` counts and ``refmatch utilisation``
    lists): reference_id, name, status, activity, used (in the window ending on now), max_uses
    (None: no limit), window_days, cooldown_days, last_use, cooldown_end (while a cooldown runs),
    headroom (uses left; None without limit), never_used, eligible (active and within its
    quota) and reason ('used 2 of 2 in 365 days', 'in cooldown until ...', 'paused', or
    'eligible'). activity: only that activity; active_only: only active references.
    """
    columns = _utilisation_columns(program, now, activity, active_only)
    out = pd.DataFrame(columns, columns=list(UTILISATION_COLUMNS))
    for name in ("max_uses", "headroom"):
        out[name] = pd.array(columns[name], dtype="Int64")
    for name in ("last_use", "cooldown_end"):
        out[name] = _dates(columns[name])
    return out


def to_frames(program: Program) -> dict:
    """All tables of the program: {'products', 'quotas', 'references', 'prospects', 'usage'}."""
    return {"products": products_frame(program), "quotas": quotas_frame(program),
            "references": references_frame(program), "prospects": prospects_frame(program),
            "usage": usage_frame(program)}


Program.from_frames = staticmethod(from_frames)
Program.check_frames = staticmethod(check_frames)
Program.references_frame = references_frame
Program.prospects_frame = prospects_frame
Program.usage_frame = usage_frame
Program.products_frame = products_frame
Program.quotas_frame = quotas_frame
Program.to_frames = to_frames
Program.utilisation_frame = utilisation_frame
