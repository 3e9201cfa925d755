"""CRM import from pandas or files: :func:`import_crm`.

The mapping, the checks and the report are C++ (``refmatch::crm``); this module only turns
DataFrames into columns of text, as a CSV export would hold them.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Any, Mapping

import numpy as np
import pandas as pd

from refmatch._refmatch import ImportReport, Program, _import_crm

_TABLES = ("accounts", "opportunities", "opportunity_products", "products")


class ImportResult(tuple):
    """``(program, report)`` of :func:`import_crm`, unpacked as a pair, with the opportunities'
    outcomes as ``.outcomes``: a list of :class:`refmatch.OpportunityOutcome` that
    :func:`refmatch.measure_influence` and :func:`refmatch.write_report` take as they are (empty
    when the opportunities export has no stage, won or closed column)."""

    def __new__(cls, program: Program, report: ImportReport, outcomes: list) -> "ImportResult":
        result = super().__new__(cls, (program, report))
        result.outcomes = outcomes
        return result

    @property
    def program(self) -> Program:
        return self[0]

    @property
    def report(self) -> ImportReport:
        return self[1]


def _cell(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))  # a count read as float because of missing values
    if isinstance(value, (pd.Timestamp, _dt.datetime)):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def _export(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return {str(name): [_cell(v) for v in value[name].tolist()] for name in value.columns}
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    raise TypeError(f"expected a pandas DataFrame or a path to a CSV export, got {type(value).__name__}")


def import_crm(
    exports: Mapping[str, Any] | None = None,
    *,
    accounts: Any = None,
    opportunities: Any = None,
    opportunity_products: Any = None,
    products: Any = None,
    mapping: str | os.PathLike = "salesforce",
    skip_bad_rows: bool = False,
) -> ImportResult:
    """Imports a reference program from CRM exports.

    Each export is a DataFrame or the path of a CSV file, given by keyword (``accounts=``,
    ``opportunities=``, ``opportunity_products=``, ``products=``) or as a dict of them.
    ``mapping`` is a preset (``"salesforce"``, ``"hubspot"``) or a mapping file (docs/crm.md).

    Returns ``(program, report)`` (an :class:`ImportResult`, whose ``.outcomes`` are the
    opportunities' outcomes: stage, won or lost, amount, close date; docs/crm.md). Raises :class:`refmatch.CrmImportError` (with ``.report``)
    when any row cannot be mapped, unless ``skip_bad_rows`` is true: then those rows are left out
    and listed in ``report.rejected``.
    """
    given: dict[str, Any] = dict(exports or {})
    for name, value in (("accounts", accounts), ("opportunities", opportunities),
                        ("opportunity_products", opportunity_products), ("products", products)):
        if value is not None:
            given[name] = value
    unknown = sorted(set(given) - set(_TABLES))
    if unknown:
        raise ValueError(f"unknown export {unknown[0]!r}: expected one of {', '.join(_TABLES)}")
    converted = {name: _export(value) for name, value in given.items() if value is not None}
    return ImportResult(*_import_crm(converted, os.fspath(mapping), skip_bad_rows))
