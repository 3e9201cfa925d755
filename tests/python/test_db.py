"""The program database from Python: open_database, writes, frames, the engine over it, errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import refmatch

UTC = dt.timezone.utc


@pytest.fixture()
def sample_db(tmp_path: Path) -> refmatch.ProgramDatabase:
    db = refmatch.open_database(tmp_path / "program.db", create=True)
    db.import_program(refmatch.sample_program_dir(), recorded_by="setup",
                      recorded_at=dt.datetime(2025, 7, 1, tzinfo=UTC))
    return db


def test_import_holds_the_sample(sample_db: refmatch.ProgramDatabase) -> None:
    files = refmatch.sample_program()
    assert sample_db.program.references.all() == files.references.all()
    assert sample_db.program.usage.events() == files.usage.events()
    assert sample_db.check() == []
    frame = sample_db.references_frame()
    assert list(frame["id"][:2]) == ["R-0001", "R-0002"] and len(frame) == 2000


def test_record_usage_reaches_history_program_and_engine(
        sample_db: refmatch.ProgramDatabase, tmp_path: Path) -> None:
    program = sample_db.program
    call = refmatch.ActivityId("sales_call")
    before = program.usage.used("R-0001", call, 365, dt.date(2025, 7, 2))
    at = dt.datetime(2025, 7, 2, 8, 30, tzinfo=UTC)
    first = sample_db.record_usage(refmatch.UsageEvent("R-0001", call, dt.date(2025, 7, 1), "P-0001"),
                                   recorded_by="ana", recorded_at=at)
    sample_db.record_usage([refmatch.UsageEvent("R-0001", call, dt.date(2025, 7, 2), "P-0002")] * 2,
                           recorded_by="ana", recorded_at=at)
    assert program.usage.used("R-0001", call, 365, dt.date(2025, 7, 2)) == before + 3
    history = sample_db.history("R-0001")
    assert list(history.columns) == ["event_id", "reference_id", "activity", "opportunity_id",
                                     "date", "recorded_by", "recorded_at"]
    tail = history.tail(3)
    assert list(tail["event_id"]) == [first, first + 1, first + 2]
    assert list(tail["opportunity_id"]) == ["P-0001", "P-0002", "P-0002"]
    assert set(tail["recorded_by"]) == {"ana"}
    assert tail["recorded_at"].iloc[0] == pd.Timestamp("2025-07-02 08:30:00", tz="UTC")

    # Another connection sees the uses after its refresh; an engine matches over it.
    other = refmatch.open_database(sample_db.path, read_only=True)
    assert len(other.history("R-0001")) == len(history)
    engine = other.engine()
    assert len(engine.match("P-0001", 3, now=dt.date(2025, 7, 2))) == 3
    sample_db.record_usage(refmatch.UsageEvent("R-0002", call, dt.date(2025, 7, 2)))
    assert other.refresh() is True
    assert len(other.program.usage) == len(program.usage)


def test_errors_name_the_problem(sample_db: refmatch.ProgramDatabase, tmp_path: Path) -> None:
    with pytest.raises(refmatch.ValidationError, match="expected a reference id of the program"):
        sample_db.record_usage(refmatch.UsageEvent("R-404", refmatch.ActivityId("quote"),
                                                   dt.date(2025, 7, 1)))
    with pytest.raises(refmatch.DatabaseError, match="no such database file"):
        refmatch.open_database(tmp_path / "absent.db")
    text = tmp_path / "text.db"
    text.write_text("not a database\n")
    with pytest.raises(refmatch.DatabaseError, match="file is not a database"):
        refmatch.open_database(text)
    assert text.read_text() == "not a database\n"
    with pytest.raises(refmatch.DatabaseError, match="already holds a program"):
        sample_db.import_program(refmatch.sample_program_dir())
    with pytest.raises(ValueError, match="timezone-aware"):
        sample_db.record_usage(refmatch.UsageEvent("R-0001", refmatch.ActivityId("quote"),
                                                   dt.date(2025, 7, 1)),
                               recorded_at=dt.datetime(2025, 7, 1))


def test_status_changes_and_export(sample_db: refmatch.ProgramDatabase, tmp_path: Path) -> None:
    sample_db.set_reference_status("R-0001", "retired")
    assert sample_db.program.references.at("R-0001").status == refmatch.ReferenceStatus.RETIRED
    sample_db.export_program(tmp_path / "out")
    refmatch.save_program(sample_db.program, tmp_path / "saved")
    for name in ("products", "quotas", "references", "prospects", "usage"):
        assert (tmp_path / "out" / f"{name}.csv").read_bytes() == \
            (tmp_path / "saved" / f"{name}.csv").read_bytes()
