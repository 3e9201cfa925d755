"""The program database from Python: :func:`open_database` and the DataFrames it gives.

The C++ ``Database`` does the work (transactions, refresh, the one assembly path); this module
converts: datetimes to the epoch seconds the binding takes, ledger rows to a DataFrame.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Iterable, Optional

import pandas as pd

from refmatch._crm import import_crm
from refmatch._frames import _activity_name, _dates, prospects_frame, references_frame
from refmatch._refmatch import Database, Engine, UsageEvent


def _epoch(at: Optional[_dt.datetime]) -> Optional[int]:
    if at is None:
        return None
    if at.tzinfo is None:
        raise ValueError("recorded_at must be timezone-aware (UTC is stored)")
    return int(at.timestamp())


class ProgramDatabase:
    """A program in a SQLite database file (see docs/database.md). Writes are transactions,
    durable when they return; :attr:`program` is kept in step with them, and :meth:`refresh`
    brings in other processes' commits."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def path(self) -> str:
        return str(self._db.path)

    @property
    def program(self):
        """The in-memory program (read it, match on it; change it through this object)."""
        return self._db.program

    def engine(self, kernel: str = "automatic") -> Engine:
        """A matching engine over the program (call its ``refresh()`` after reference changes)."""
        return Engine(self._db.program, kernel=kernel)

    def refresh(self) -> bool:
        return self._db.refresh()

    def import_program(self, directory: str | os.PathLike, *, recorded_by: str = "python",
                       recorded_at: Optional[_dt.datetime] = None) -> None:
        self._db.import_program(directory, recorded_by=recorded_by,
                                recorded_at=_epoch(recorded_at))

    def import_crm(self, exports=None, *, recorded_by: str = "python",
                   recorded_at: Optional[_dt.datetime] = None, **options):
        """Imports CRM exports into this database, which must hold no program yet: what
        :func:`refmatch.import_crm` takes (exports as DataFrames or paths, ``mapping``,
        ``skip_bad_rows``) and returns, the program and the opportunities' outcomes then written
        in one transaction (docs/crm.md). Raises :class:`refmatch.CrmImportError` for rows that
        do not map, :class:`refmatch.DatabaseError` for a database that holds a program; the
        database is unchanged then."""
        result = import_crm(exports, **options)
        self._db.import_program(result.program, result.outcomes, recorded_by=recorded_by,
                                recorded_at=_epoch(recorded_at))
        return result

    def export_program(self, directory: str | os.PathLike, format: str = "csv") -> None:
        self._db.export_program(directory, format)

    def record_usage(self, events: UsageEvent | Iterable[UsageEvent], *,
                     recorded_by: str = "python",
                     recorded_at: Optional[_dt.datetime] = None) -> int:
        """Records one use or a batch (one transaction, all or none); returns the first event
        id."""
        at = _epoch(recorded_at)
        if isinstance(events, UsageEvent):
            return self._db.record_usage(events, recorded_by=recorded_by, recorded_at=at)
        return self._db.record_usage_batch(list(events), recorded_by=recorded_by, recorded_at=at)

    def add_reference(self, reference) -> None:
        self._db.add_reference(reference)

    def add_references(self, references) -> None:
        self._db.add_references(list(references))

    def update_reference(self, reference) -> None:
        self._db.update_reference(reference)

    def set_reference_status(self, reference_id: str, status: str) -> None:
        self._db.set_reference_status(reference_id, status)

    def add_prospect(self, prospect) -> None:
        self._db.add_prospect(prospect)

    def update_prospect(self, prospect) -> None:
        self._db.update_prospect(prospect)

    def check(self) -> list:
        return self._db.check()

    def history(self, reference_id: str = "") -> pd.DataFrame:
        """The usage ledger of one reference (all when empty): event_id, reference_id, activity,
        opportunity_id, date, recorded_by, recorded_at."""
        rows = self._db.history_rows(reference_id)
        vocab = self._db.program.vocabulary
        return pd.DataFrame({
            "event_id": pd.Series([r[0] for r in rows], dtype="int64"),
            "reference_id": [r[1].reference_id for r in rows],
            "activity": [_activity_name(r[1].activity, vocab) for r in rows],
            "opportunity_id": [r[1].opportunity_id for r in rows],
            "date": _dates([r[1].day for r in rows]),
            "recorded_by": [r[2] for r in rows],
            "recorded_at": pd.to_datetime([r[3] for r in rows], utc=True),
        })

    def references_frame(self) -> pd.DataFrame:
        return references_frame(self._db.program)

    def prospects_frame(self) -> pd.DataFrame:
        return prospects_frame(self._db.program)


def open_database(path: str | os.PathLike, *, create: bool = False, read_only: bool = False,
                  busy_timeout: float = 5.0) -> ProgramDatabase:
    """Opens (with ``create``, creates) a program database file; a missing file without
    ``create``, a file that is not a refmatch database or one of a newer schema raise
    :class:`refmatch.DatabaseError`."""
    return ProgramDatabase(Database(path, create=create, read_only=read_only,
                                    busy_timeout=busy_timeout))
