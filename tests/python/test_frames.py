"""pandas both ways: programs from DataFrames (with errors naming column and row) and back."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import refmatch

NOW = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def vocabulary() -> refmatch.Vocabulary:
    return refmatch.standard_vocabulary(["p1", "p2", "p3"])


def references() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["R1", "R2", "R3"],
        "name": ["Øresund Bank", "Beta", "Gamma"],
        "industry": ["5221", "513210", None],
        "products": [["p1", "p2"], "p2;p3", []],
        "country": ["DK", "Germany", np.nan],
        "size_band": [3, np.nan, 1],
        "status": ["active", "active", "paused"],
        "consents": [{"sales_call": refmatch.QuotaLimit(max_uses=2)}, ["quote", "logo_use"], ""],
        "nps": [9, np.nan, 7],
        "last_contact": pd.to_datetime(["2025-06-01", None, "2025-01-02"]),
    })


def test_program_from_frames_and_back(vocabulary: refmatch.Vocabulary) -> None:
    program = refmatch.Program.from_frames(
        products=pd.DataFrame({"id": ["p1", "p2", "p3"], "name": ["One", "Two", "Three"]}),
        references=references(),
        prospects=pd.DataFrame({"id": ["P1"], "name": ["Prospect"], "industry": ["52"],
                                "products": [["p1"]], "country": ["SE"],
                                "activity": ["sales_call"], "needed_by": ["2025-07-15"],
                                "deal_value": [1e6]}),
        usage=pd.DataFrame({"reference_id": ["R1", "R1"], "activity": ["sales_call", "quote"],
                            "date": [dt.date(2025, 6, 1), dt.date(2025, 5, 1)]}),
        quotas={"sales_call": refmatch.QuotaLimit(max_uses=3, window_days=30)})
    assert repr(program) == "Program(references=3, prospects=1, usage_events=2, products=3)"
    r1 = program.references["R1"]
    assert r1.products == ["p1", "p2"] and r1.size == 3 and r1.nps == 9
    assert r1.consents == [refmatch.ActivityConsent("sales_call", refmatch.QuotaLimit(max_uses=2))]
    assert r1.last_contact == dt.date(2025, 6, 1)
    r2 = program.references["R2"]
    assert r2.country == "Germany" and r2.size is None and r2.products == ["p2", "p3"]
    assert program.references["R3"].industry == "" and program.references["R3"].country == ""
    assert program.quotas.limit("sales_call").window_days == 30
    assert program.prospects["P1"].needed_by == dt.date(2025, 7, 15)
    assert program.vocabulary.products[1].name == "Two"

    # Back to frames, and round trip through them.
    frames = program.to_frames()
    assert set(frames) == {"products", "quotas", "references", "prospects", "usage"}
    refs = frames["references"]
    assert refs.loc[0, "consents"] == ["sales_call:2/365/0"]
    assert str(refs["size_band"].dtype) == "Int64" and pd.isna(refs.loc[1, "size_band"])
    again = refmatch.Program.from_frames(program.vocabulary, references=refs,
                                         prospects=frames["prospects"], usage=frames["usage"],
                                         quotas=frames["quotas"])
    assert again.references.all() == program.references.all()
    assert again.prospects.all() == program.prospects.all()
    assert again.usage.events() == program.usage.events()
    assert again.quotas == program.quotas


def test_from_frames_assembles_the_program_load_program_gives(tmp_path) -> None:
    # The same tables through files and through DataFrames: one assembly, one program.
    program = refmatch.generate_program(references=200, prospects=40, products=12)
    refmatch.save_program(program, tmp_path)
    loaded = refmatch.load_program(tmp_path)
    frames = loaded.to_frames()
    built = refmatch.Program.from_frames(products=frames["products"], quotas=frames["quotas"],
                                         references=frames["references"],
                                         prospects=frames["prospects"], usage=frames["usage"])
    for program_a, program_b in ((built, loaded), (loaded.tables().assemble(), loaded)):
        assert program_a.references.all() == program_b.references.all()
        assert program_a.prospects.all() == program_b.prospects.all()
        assert program_a.usage.events() == program_b.usage.events()
        assert program_a.quotas == program_b.quotas
        assert program_a.vocabulary.activities.names == program_b.vocabulary.activities.names


def test_program_tables_assemble_all_or_nothing(vocabulary: refmatch.Vocabulary) -> None:
    tables = refmatch.ProgramTables(vocabulary, references=[
        refmatch.ReferenceCustomer("R1", products=["p1"], status="active", consents=["quote"])])
    tables.usage = [refmatch.UsageEvent("R2", "quote", dt.date(2025, 1, 1))]
    with pytest.raises(refmatch.ValidationError,
                       match="^usage of 'R2': field 'reference_id': expected a reference id of "
                             "the program, got 'R2'$"):
        tables.assemble()
    tables.usage = [refmatch.UsageEvent("R1", "quote", dt.date(2025, 1, 1))]
    program = tables.assemble()
    assert repr(program) == "Program(references=1, prospects=0, usage_events=1, products=3)"
    assert len(program.tables().usage) == 1


def test_bad_value_names_column_and_row(vocabulary: refmatch.Vocabulary) -> None:
    frame = references()
    frame.index = ["a", "b", "c"]
    frame.loc["b", "industry"] = "Fintech"
    with pytest.raises(refmatch.ParseError) as bad:
        refmatch.Program.from_frames(vocabulary, references=frame)
    e = bad.value
    assert str(e) == ("references frame row 1 (index 'b'): field 'industry': expected a NAICS "
                      "2022 code, got 'Fintech'")
    assert (e.row, e.index, e.field, e.found) == (1, "b", "industry", "Fintech")


def test_rows_are_counted_past_multiline_values(vocabulary: refmatch.Vocabulary) -> None:
    frame = references()
    frame.loc[0, "name"] = "Two\nlines"
    frame.loc[2, "size_band"] = 9
    with pytest.raises(refmatch.ParseError) as bad:
        refmatch.references_from_frame(frame, vocabulary)
    assert bad.value.row == 2 and bad.value.field == "size_band"
    assert str(bad.value).startswith("references frame row 2 (index 2): field 'size_band'")


def test_bad_columns(vocabulary: refmatch.Vocabulary) -> None:
    with pytest.raises(refmatch.ParseError) as unknown:
        refmatch.references_from_frame(references().assign(colour="red"), vocabulary)
    assert "unknown column colour" in str(unknown.value) and unknown.value.row is None
    with pytest.raises(refmatch.ParseError) as missing:
        refmatch.references_from_frame(references().drop(columns=["id"]), vocabulary)
    assert str(missing.value).startswith("references frame: expected the required columns")
    with pytest.raises(TypeError, match="expected a pandas DataFrame, got list"):
        refmatch.references_from_frame([1, 2], vocabulary)
    with pytest.raises(ValueError, match="unknown column 'price'"):
        refmatch.Program.from_frames(products=pd.DataFrame({"id": ["p"], "price": [1]}))


def test_non_integer_band_is_reported(vocabulary: refmatch.Vocabulary) -> None:
    frame = pd.DataFrame({"id": ["P1", "P2"], "size_band": [1.0, 1.5]}, index=["a", "b"])
    with pytest.raises(refmatch.ParseError) as bad:
        refmatch.prospects_from_frame(frame, vocabulary)
    assert str(bad.value).startswith(
        "prospects frame row 1 (index 'b'): field 'size_band': expected a band 0-5")


def test_prospects_from_frame_equal_the_sample_csv_file() -> None:
    # The bundled sample's prospects.csv read by pandas (dates parsed, numbers inferred, empty
    # cells as NaN) gives exactly the prospects the C++ reader makes of the file itself.
    program = refmatch.sample_program()
    vocabulary = program.vocabulary
    path = refmatch.sample_program_dir() / "prospects.csv"
    from_file = refmatch.parse_prospects(path.read_text(encoding="utf-8"), vocabulary,
                                         source="prospects.csv")
    frame = pd.read_csv(path, parse_dates=["needed_by"], keep_default_na=False, na_values=[""])
    assert pd.api.types.is_datetime64_any_dtype(frame["needed_by"])
    assert pd.api.types.is_numeric_dtype(frame["deal_value"])
    assert frame["size_band"].isna().any() and frame["products"].str.contains(";").any()
    batch = refmatch.prospects_from_frame(frame, vocabulary)
    assert len(batch) == len(from_file) == len(frame) > 0
    assert list(batch) == from_file
    assert from_file == program.prospects.all()
    # The program's own frame (lists, Int64, datetime64 columns) converts back to the same.
    again = refmatch.prospects_from_frame(program.prospects_frame(), vocabulary)
    assert list(again) == from_file


def test_frame_cells_of_other_types(vocabulary: refmatch.Vocabulary) -> None:
    frame = pd.DataFrame({
        "id": ["P1", "P2", "P3"],
        "products": [("p1", "p2"), np.nan, ["p3"]],
        "size_band": pd.array([1, None, 4], dtype="Int64"),
        "deal_value": [1.5, np.nan, 2e6],
        "needed_by": pd.to_datetime(["2025-07-01 23:30", None, "1969-12-31 12:00"]),
        "stage": ["won", None, np.nan],
        "activity": [refmatch.ActivityId(0), None, "quote"],
    })
    batch = refmatch.prospects_from_frame(frame, vocabulary)
    assert [p.products for p in batch] == [["p1", "p2"], [], ["p3"]]
    assert [p.size for p in batch] == [1, None, 4]
    assert [p.deal_value for p in batch] == [1.5, 0.0, 2e6]
    assert [p.needed_by for p in batch] == [dt.date(2025, 7, 1), None, dt.date(1969, 12, 31)]
    assert [p.stage for p in batch] == ["won", "", ""]
    assert [p.activity for p in batch] == [refmatch.ActivityId(0), None,
                                           vocabulary.activities.at("quote")]


def test_results_frame_of_explanations(sample_engine: refmatch.Engine) -> None:
    results = sample_engine.match("P-0001", k=3, now=NOW)
    frame = refmatch.results_frame(results)
    assert frame["reference_id"].tolist() == [r.reference_id for r in results]
    assert frame["rank"].tolist() == [1, 2, 3]
    assert frame["final"].tolist() == [r.final for r in results]
    assert frame["max_uses"].tolist() == [r.quota.max_uses for r in results]
