"""pandas in and out: programs from DataFrames, programs as DataFrames.

DataFrames use the column names of the CSV/JSON files (docs/data-formats.md). A frame is turned
into CSV text and read by the same C++ parser as a file, so the checks and the messages are the
file's; a message names the frame, the row (0-based position) and its index label::

    prospects frame row 3 (index 'P-4'): field 'industry': expected a NAICS 2022 code, got 'Fintech'

Unknown columns, missing required columns and bad values all raise :class:`refmatch.ParseError`
with ``row``/``index`` attributes (``None`` for a column error).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from refmatch._refmatch import (
    ActivityConsent,
    ActivityId,
    ParseError,
    Product,
    ProductCatalog,
    Program,
    ProspectBatch,
    QuotaLimit,
    ReferenceStatus,
    Vocabulary,
    parse_prospects,
    parse_references,
    parse_usage,
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


def _column_text(series: pd.Series, column: str, vocabulary: Vocabulary | None) -> pd.Series:
    """The column ready for DataFrame.to_csv, vectorised for the common dtypes (numbers and
    missing values are left to to_csv, which writes NaN/NA as empty fields)."""
    if pd.api.types.is_datetime64_any_dtype(series) and column in _DATE_COLUMNS:
        return series.dt.strftime("%Y-%m-%d")
    if pd.api.types.is_integer_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series
    if pd.api.types.is_float_dtype(series):
        if column not in _INT_COLUMNS:
            return series
        try:
            return series.astype("Int64")
        except (TypeError, ValueError):
            pass  # non-integral values: written as they are, and reported by the parser
        return series.map(lambda v: _cell_text(v, column, vocabulary))
    values = series.to_numpy()
    if column not in _LIST_COLUMNS and all(type(v) is str for v in values):
        return series
    if column in _LIST_COLUMNS and column != "consents":
        return pd.Series([";".join(v) if type(v) is list and all(type(x) is str for x in v)
                          else _cell_text(v, column, vocabulary) for v in values],
                         index=series.index, dtype=object)
    return series.map(lambda v: _cell_text(v, column, vocabulary))


def _frame_to_csv(frame: pd.DataFrame, vocabulary: Vocabulary | None) -> tuple[str, np.ndarray]:
    """CSV text of a frame, and the CSV line on which each row starts."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    renamed = {c: _ALIASES[c] for c in frame.columns
               if c in _ALIASES and _ALIASES[c] not in frame.columns}
    columns = {}
    for name in frame.columns:
        column = renamed.get(name, str(name))
        columns[column] = _column_text(frame[name], column, vocabulary).to_numpy()
    csv = pd.DataFrame(columns).to_csv(index=False, lineterminator="\n")
    # Line 1 is the header and each row one line, unless values hold line breaks: then count them.
    if csv.count("\n") == len(frame) + 1:
        return csv, np.arange(2, len(frame) + 2)
    newlines = np.zeros(len(frame), dtype=np.int64)
    for values in columns.values():
        if values.dtype == object:
            newlines += np.array([v.count("\n") if isinstance(v, str) else 0 for v in values],
                                 dtype=np.int64)
    return csv, 2 + np.concatenate(([0], np.cumsum(newlines + 1)[:-1]))


def _row_error(error: ParseError, frame: pd.DataFrame, starts: np.ndarray, source: str) -> ParseError:
    message = str(error)
    prefix = f"{source}:{error.line}: " if error.line is not None else f"{source}: "
    rest = message[len(prefix):] if message.startswith(prefix) else message
    row = None
    if error.line is not None and error.line >= 2 and len(starts):
        row = int(np.searchsorted(starts, error.line, side="right") - 1)
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
    csv, starts = _frame_to_csv(frame, vocabulary)
    try:
        return parse(csv, vocabulary, format="csv", source=source)
    except ParseError as error:
        raise _row_error(error, frame, starts, source) from None


def references_from_frame(frame: pd.DataFrame, vocabulary: Vocabulary) -> list:
    """Reference customers from a DataFrame with the columns of references.csv.

    Required: ``id``. Optional: name, industry, products (a list or 'P1;P2'), country,
    size_band (or employees), status, consents (a list of activities / ActivityConsent, a dict
    {activity: QuotaLimit | None}, or 'sales_call;case_study:2/365/90'), nps, csat, health, owner,
    last_contact. Raises ParseError naming the column and the row.
    """
    return _parse_frame(frame, vocabulary, "references frame", parse_references)


def prospects_from_frame(frame: pd.DataFrame, vocabulary: Vocabulary) -> ProspectBatch:
    """Prospects from a DataFrame with the columns of prospects.csv, converted once to C++.

    Required: ``id``. Optional: name, industry, products, country, size_band (or employees),
    deal_value, stage, activity, needed_by, exclusions, owner. Raises ParseError naming the
    column and the row.
    """
    return ProspectBatch(_parse_frame(frame, vocabulary, "prospects frame", parse_prospects))


def usage_from_frame(frame: pd.DataFrame, vocabulary: Vocabulary) -> list:
    """Usage events from a DataFrame with the columns reference_id, activity, opportunity_id,
    date."""
    return _parse_frame(frame, vocabulary, "usage frame", parse_usage)


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


def from_frames(vocabulary: Vocabulary | None = None, *, products: Any = None,
                references: pd.DataFrame | None = None, prospects: pd.DataFrame | None = None,
                usage: pd.DataFrame | None = None,
                quotas: Mapping[Any, QuotaLimit] | pd.DataFrame | None = None) -> Program:
    """Builds a program from DataFrames.

    vocabulary: the program's codes; by default the standard one (NAICS 2022, UN M49, default size
    bands) with ``products`` (a ProductCatalog, Product objects, ids, or a DataFrame with id,
    name, family). references / prospects / usage: DataFrames with the columns of the CSV files.
    quotas: {activity: QuotaLimit} or a DataFrame with activity, max_uses, window_days,
    cooldown_days. All or nothing: on an error no program is returned.
    """
    if vocabulary is None:
        vocabulary = standard_vocabulary(_products(products))
    elif products is not None:
        raise TypeError("give either a vocabulary or products, not both")
    program = Program(vocabulary)
    vocab = program.vocabulary
    if quotas is not None:
        if isinstance(quotas, pd.DataFrame):
            items: Iterable = (
                (row["activity"], QuotaLimit(
                    max_uses=None if _is_missing(row.get("max_uses")) else int(row["max_uses"]),
                    window_days=int(row.get("window_days", 365)),
                    cooldown_days=int(row.get("cooldown_days", 0))))
                for _, row in quotas.iterrows())
        else:
            items = quotas.items()
        for activity, limit in items:
            program.set_quota(vocab.activities.at(activity) if isinstance(activity, str) else activity, limit)
    if references is not None:
        program.references.add_all(references_from_frame(references, vocab))
    if prospects is not None:
        program.prospects.add_all(list(prospects_from_frame(prospects, vocab)))
    if usage is not None:
        for event in usage_from_frame(usage, vocab):
            program.record_usage(event)
    return program


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


def to_frames(program: Program) -> dict:
    """All tables of the program: {'products', 'quotas', 'references', 'prospects', 'usage'}."""
    return {"products": products_frame(program), "quotas": quotas_frame(program),
            "references": references_frame(program), "prospects": prospects_frame(program),
            "usage": usage_frame(program)}


Program.from_frames = staticmethod(from_frames)
Program.references_frame = references_frame
Program.prospects_frame = prospects_frame
Program.usage_frame = usage_frame
Program.products_frame = products_frame
Program.quotas_frame = quotas_frame
Program.to_frames = to_frames
