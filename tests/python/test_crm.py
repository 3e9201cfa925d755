"""CRM import from DataFrames and files, its report and errors, and taxonomy title search."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import refmatch

DATA = Path(__file__).resolve().parent.parent / "data" / "crm"


def test_salesforce_files_import_with_the_preset() -> None:
    program, report = refmatch.import_crm(
        accounts=DATA / "salesforce" / "Accounts.csv",
        opportunities=DATA / "salesforce" / "Opportunities.csv",
        opportunity_products=DATA / "salesforce" / "OpportunityLineItems.csv",
        products=DATA / "salesforce" / "Products.csv",
        mapping="salesforce")
    assert (report.references, report.prospects, report.products) == (5, 3, 3)
    assert report.rows_read == 3 + 7 + 4 + 5
    assert report.rows_rejected == 0
    nordbank = program.references.at("0015g00000KX1aAAAT")
    assert (nordbank.industry, nordbank.country) == ("5221", "DE")
    assert "program: 5 references, 3 prospects, 3 products" in report.summary()
    assert repr(report).startswith("ImportReport(rows_read=19")


def test_a_hubspot_frame_imports_like_its_file() -> None:
    companies = pd.read_csv(DATA / "hubspot" / "companies.csv", dtype=str, keep_default_na=False)
    deals = pd.read_csv(DATA / "hubspot" / "deals.csv")  # numbers and NaN as pandas reads them
    from_frames, _ = refmatch.import_crm({"accounts": companies, "opportunities": deals},
                                         mapping="hubspot")
    from_files, _ = refmatch.import_crm(accounts=DATA / "hubspot" / "companies.csv",
                                        opportunities=DATA / "hubspot" / "deals.csv",
                                        mapping="hubspot")
    assert from_frames.references.all() == from_files.references.all()
    assert from_frames.prospects.all() == from_files.prospects.all()
    assert from_frames.prospects.at("5551000001").deal_value == 85000.0


def test_messy_frame_values() -> None:
    frame = pd.DataFrame({
        "Id": ["A-1", "A-2", "A-3"],
        "Industry": ["Finance ", None, "banking"],
        "BillingCountry": ["Deutschland", "UK", "대한민국"],
        "NumberOfEmployees": [1200.0, np.nan, 60.0],  # floats because of the missing value
    })
    program, _ = refmatch.import_crm(accounts=frame, mapping="salesforce")
    refs = {r.id: r for r in program.references.all()}
    assert (refs["A-1"].industry, refs["A-1"].country, refs["A-1"].size) == ("52", "DE", 3)
    assert (refs["A-2"].industry, refs["A-2"].country, refs["A-2"].size) == ("", "GB", None)
    assert (refs["A-3"].industry, refs["A-3"].country) == ("5221", "KR")


def test_bad_rows_raise_with_the_report_and_import_nothing() -> None:
    frame = pd.DataFrame({"Id": ["A-1", "A-2"], "Industry": ["Banking", "Fintech"],
                          "BillingCountry": ["DE", "EMEA"]})
    with pytest.raises(refmatch.CrmImportError) as caught:
        refmatch.import_crm(accounts=frame, mapping="salesforce")
    assert isinstance(caught.value, refmatch.Error)
    problems = caught.value.report.problems
    assert [(p["line"], p["column"], p["reason"]) for p in problems] == [
        (3, "Industry", "unknown industry"), (3, "BillingCountry", "undeclared territory")]
    assert problems[0]["message"].startswith(
        "accounts:3: field 'Industry': expected a salesforce industry")

    program, report = refmatch.import_crm(accounts=frame, mapping="salesforce",
                                          skip_bad_rows=True)
    assert [r.id for r in program.references.all()] == ["A-1"]
    assert report.rejected_by_reason == {"unknown industry": 1}
    assert report.rejected[0]["line"] == 3
    assert report.rejects_csv("accounts").splitlines()[0] == "Id,Industry,BillingCountry,reject_reason"


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown export 'leads'"):
        refmatch.import_crm({"leads": DATA / "hubspot" / "companies.csv"})
    with pytest.raises(TypeError, match="expected a pandas DataFrame or a path"):
        refmatch.import_crm(accounts=42)
    with pytest.raises(refmatch.NotFoundError):
        refmatch.import_crm(accounts=DATA / "hubspot" / "companies.csv", mapping="dynamics")
    assert refmatch.crm_presets() == ["hubspot", "salesforce"]


def test_taxonomy_search() -> None:
    hits = refmatch.naics2022().search("Financial Services", 5)
    assert hits[0][:2] == ("52", "Finance and Insurance")
    assert "5239" in [code for code, _, _ in hits]
    assert refmatch.m49_geography().search("untied kingdom", 1)[0][0] == "GB"


def test_opportunity_outcomes_come_with_the_import() -> None:
    # A Salesforce Data Loader export read as pandas reads it (IsWon/IsClosed as booleans, blank
    # cells as NaN): stage, won or lost, amount, close date become the outcomes table.
    opportunities = pd.read_csv(DATA / "outcomes" / "Opportunities.csv")
    result = refmatch.import_crm(accounts=DATA / "salesforce" / "Accounts.csv",
                                 opportunities=opportunities, mapping="salesforce")
    program, report = result  # still a (program, report) pair
    assert result.program is program and result.report is report
    rows = [(o.opportunity_id, o.status, o.amount, o.closed) for o in result.outcomes]
    assert rows == [
        ("0065g00000R1aAAAAZ", "won", 48000.0, dt.date(2025, 7, 15)),
        ("0065g00000R1aBAAAZ", "lost", 120000.0, dt.date(2025, 9, 30)),
        ("0065g00000R1aCAAAZ", "open", 15500.0, None),
        ("0065g00000R1aDAAAZ", "won", 30000.0, dt.date(2025, 3, 31)),
        ("0065g00000R1aEAAAZ", "won", 9000.0, dt.date(2025, 2, 28)),
    ]
    assert [p.id for p in program.prospects.all()] == ["0065g00000R1aCAAAZ"]
    assert "outcomes: 3 won, 1 lost, 1 open" in report.summary()
    # The imported outcomes are what influence is measured against: no use names them yet.
    influence = refmatch.measure_influence(program, result.outcomes, start=dt.date(2025, 1, 1),
                                           end=dt.date(2025, 12, 31))
    assert influence.won_revenue == pytest.approx(48000 + 30000 + 9000)
    assert influence.influenced_revenue == 0
    assert influence.versus["closed_without"] == 4


def test_import_crm_into_a_database_in_one_transaction(tmp_path: Path) -> None:
    exports = {"accounts": DATA / "salesforce" / "Accounts.csv",
               "opportunities": DATA / "salesforce" / "Opportunities.csv"}
    in_memory = refmatch.import_crm(exports, mapping="salesforce")
    db = refmatch.open_database(tmp_path / "program.db", create=True)
    result = db.import_crm(exports, mapping="salesforce", recorded_by="crm")
    assert result.report.summary() == in_memory.report.summary()
    # The database's program and outcomes are the import's, read back from the file.
    reopened = refmatch.open_database(tmp_path / "program.db", read_only=True)
    assert sorted(r.id for r in reopened.program.references.all()) == \
        sorted(r.id for r in in_memory.program.references.all())
    assert sorted(p.id for p in reopened.program.prospects.all()) == \
        sorted(p.id for p in in_memory.program.prospects.all())
    stored = refmatch._refmatch._database_outcomes(reopened._db)
    assert sorted((o.opportunity_id, o.amount) for o in stored) == \
        sorted((o.opportunity_id, o.amount) for o in in_memory.outcomes)
    # A second import is refused: the database holds a program.
    with pytest.raises(refmatch.DatabaseError, match="already holds a program"):
        db.import_crm(exports, mapping="salesforce")


def test_a_bad_row_leaves_the_database_empty(tmp_path: Path) -> None:
    db = refmatch.open_database(tmp_path / "program.db", create=True)
    with pytest.raises(refmatch.CrmImportError, match="Financial Servics"):
        db.import_crm(accounts=DATA / "bad" / "Accounts.csv", mapping="salesforce")
    assert len(db.program.references.all()) == 0
    db.import_crm(accounts=DATA / "bad" / "Accounts.csv", mapping="salesforce",
                  skip_bad_rows=True)
    assert [r.id for r in db.program.references.all()] == ["0015g00000KX2aAAAT"]
