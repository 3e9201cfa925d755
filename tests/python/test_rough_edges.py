"""What a new user trips on: arguments converted by refmatch with its own messages, one case rule
for enumerations, programs that always pickle, progress bars without stray lines."""

from __future__ import annotations

import datetime as dt
import pickle

import pandas as pd
import pytest

import refmatch

NOW = dt.date(2025, 6, 30)


@pytest.fixture()
def tiny_program(tiny_program: refmatch.Program) -> refmatch.Program:
    """The shared tiny program with one prospect, P1."""
    tiny_program.prospects.add(refmatch.Prospect("P1", industry="A11", products=["p1"],
                                                 country="DE", size=2))
    return tiny_program


def test_unknown_activity_is_a_validation_error_listing_the_activities(
        tiny_program: refmatch.Program) -> None:
    engine = refmatch.Engine(tiny_program)
    calls = {
        "match": lambda: engine.match("P1", k=2, activity="Sales Call", now=NOW),
        "match_batch": lambda: engine.match_batch(None, k=2, activity="Sales Call", now=NOW),
        "gaps": lambda: engine.gaps(activity="Sales Call", now=NOW),
    }
    for subject, call in calls.items():
        with pytest.raises(refmatch.ValidationError) as e:
            call()
        assert str(e.value).startswith(
            f"{subject}: field 'activity': expected one of the activities name_drop, logo_use, ")
        assert str(e.value).endswith(", got 'Sales Call'")
        assert e.value.field == "activity"
    # Case is ignored, as everywhere.
    assert engine.match("P1", k=1, activity="Sales_Call", now=NOW)


def test_none_and_bad_arguments_of_record_usage_name_the_argument(
        tiny_program: refmatch.Program) -> None:
    with pytest.raises(refmatch.ValidationError,
                       match=r"^record_usage: field 'reference_id': expected a reference id of "
                             r"the program, got 'None'$"):
        tiny_program.record_usage(None, "sales_call", NOW)
    with pytest.raises(refmatch.ValidationError,
                       match=r"^record_usage: field 'activity': expected one of the activities "):
        tiny_program.record_usage("R1", None, NOW)
    with pytest.raises(refmatch.ValidationError,
                       match=r"^record_usage: field 'day': expected a datetime.date or an ISO "
                             r"date YYYY-MM-DD, got 'None'$"):
        tiny_program.record_usage("R1", "sales_call", None)
    before = len(tiny_program.usage)
    tiny_program.record_usage("R1", "SALES_CALL", "2025-06-01", None)
    assert len(tiny_program.usage) == before + 1


def test_k_must_be_a_whole_number_at_least_one(tiny_program: refmatch.Program) -> None:
    engine = refmatch.Engine(tiny_program)
    for k in (-1, 0, 1.5, True):
        with pytest.raises(refmatch.ValidationError, match=r"field 'k': expected a whole number "
                                                           r">= 1, got"):
            engine.match("P1", k=k)
        with pytest.raises(refmatch.ValidationError, match=r"field 'k'"):
            engine.match_batch(None, k=k)


def test_gap_threshold_outside_the_score_range_is_refused(tiny_program: refmatch.Program) -> None:
    with pytest.raises(refmatch.ValidationError, match=r"field 'threshold': expected a number in "
                                                       r"\[0, 1\], got '2'"):
        refmatch.Engine(tiny_program).gaps(threshold=2)


def test_status_case_is_ignored_by_objects_and_frames_alike() -> None:
    r = refmatch.ReferenceCustomer("R-1", status="Active")
    assert r.status == refmatch.ReferenceStatus.ACTIVE
    products = pd.DataFrame({"id": ["crm-01"], "name": ["Core"]})
    refs = pd.DataFrame({"id": ["R-1"], "name": ["A"], "status": ["Active"],
                         "products": ["crm-01"], "country": ["DE"]})
    program = refmatch.Program.from_frames(products=products, references=refs)
    assert program.references["R-1"].status == refmatch.ReferenceStatus.ACTIVE
    with pytest.raises(refmatch.ValidationError,
                       match=r"field 'status': expected one of candidate, active, paused, retired, "
                             r"got 'Resting'"):
        refmatch.ReferenceCustomer("R-2", status="Resting")


def test_a_reference_with_uses_stays_and_programs_always_pickle() -> None:
    program = refmatch.sample_program()
    used = program.usage.events()[0].reference_id
    with pytest.raises(refmatch.ValidationError, match=r"retired instead"):
        program.references.remove(used)
    assert used in program.references
    users = {e.reference_id for e in program.usage.events()}
    unused = next(r.id for r in program.references if r.id not in users)
    program.references.remove(unused)
    again = pickle.loads(pickle.dumps(program))
    assert len(again.references) == len(program.references)


def test_a_subnormal_number_pickles() -> None:
    program = refmatch.sample_program()
    r = program.references.all()[0]
    r.csat = 1e-310
    program.references.update(r)
    again = pickle.loads(pickle.dumps(program))
    assert again.references[r.id].csat == 1e-310


def test_the_progress_bar_prints_no_stray_line(tiny_program: refmatch.Program,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    refmatch.Engine(tiny_program).match_batch(None, k=2, progress=True)
    err = capsys.readouterr().err
    assert "0prospect [" not in err  # a bar made before the total was known
    assert "matching: 100%" in err


def test_an_alias_the_program_accepted_survives_pickling() -> None:
    geography = refmatch.m49_geography()
    assert geography.add_alias("UK", geography.find("GB"))
    products = pd.DataFrame({"id": ["crm-01"], "name": ["Core"]})
    vocabulary = refmatch.Vocabulary(industries=refmatch.naics2022(), geography=geography,
                                     products=refmatch.ProductCatalog(["crm-01"]))
    refs = pd.DataFrame({"id": ["R-1"], "name": ["A"], "status": ["active"],
                         "products": ["crm-01"], "country": ["UK"]})
    program = refmatch.Program.from_frames(vocabulary, references=refs)
    again = pickle.loads(pickle.dumps(program))
    assert again.references["R-1"].country == "UK"
    assert again.vocabulary.geography.find("uk") == again.vocabulary.geography.find("GB")


def test_an_alias_the_program_accepted_survives_a_directory_round_trip(tmp_path) -> None:
    geography = refmatch.m49_geography()
    assert geography.add_alias("UK", geography.find("GB"))
    vocabulary = refmatch.Vocabulary(industries=refmatch.naics2022(), geography=geography,
                                     products=refmatch.ProductCatalog(["crm-01"]))
    refs = pd.DataFrame({"id": ["R-1", "R-2"], "name": ["A", "B"], "status": ["active"] * 2,
                         "products": ["crm-01"] * 2, "country": ["UK", "Germany"]})
    prospects = pd.DataFrame({"id": ["P-1"], "country": ["UK"], "products": ["crm-01"]})
    program = refmatch.Program.from_frames(vocabulary, references=refs, prospects=prospects)
    for fmt in ("csv", "json"):
        refmatch.save_program(program, tmp_path / fmt, format=fmt)
        assert refmatch.check_program(tmp_path / fmt) == []
        again = refmatch.load_program(tmp_path / fmt)
        # The alias is saved as the code it stands for; a name the standard taxonomy knows is
        # kept as it was.
        assert again.references["R-1"].country == "GB"
        assert again.references["R-2"].country == "Germany"
        assert again.prospects["P-1"].country == "GB"
        engine, before = refmatch.Engine(again), refmatch.Engine(program)
        assert ([r.final for r in engine.match("P-1", k=2)] ==
                [r.final for r in before.match("P-1", k=2)])


def _bad_frames() -> dict:
    products = pd.DataFrame({"id": ["crm-01", "erp-01"], "name": ["Core", "ERP"]})
    references = pd.DataFrame(
        {"id": ["R-1", "R-2", "R-3", "R-4"], "name": ["A", "B", "C", "D"],
         "industry": ["52", "Fintech", "52", "5415"], "country": ["DE", "DE", "Atlantis", "FR"],
         "products": ["crm-01", "crm-01", "crm-01", "hr-01"], "status": ["active"] * 4},
        index=["a", "b", "c", "d"])
    prospects = pd.DataFrame({"id": ["P-1", "P-2"], "industry": ["52", "52"],
                              "needed_by": ["2025-07-01", "tomorrow"]})
    usage = pd.DataFrame({"reference_id": ["R-1", "R-2", "R-9"],
                          "activity": ["sales_call", "sales_call", "sales_call"],
                          "date": ["2025-01-01", "2025-02-01", "2025-03-01"]})
    return dict(products=products, references=references, prospects=prospects, usage=usage)


def test_check_frames_lists_every_problem_where_from_frames_stops_at_the_first() -> None:
    frames = _bad_frames()
    with pytest.raises(refmatch.ParseError) as first:
        refmatch.Program.from_frames(**frames)
    problems = refmatch.check_frames(**frames)
    assert list(problems.columns) == ["table", "row", "index", "field", "expected", "found",
                                      "message"]
    # Row by row, the problems planted above, in table order; R-2's use is not reported again
    # (its row is there, only its industry is bad), R-9's is.
    got = [(t, None if pd.isna(r) else int(r), f, v) for t, r, f, v in
           problems[["table", "row", "field", "found"]].itertuples(index=False)]
    assert got == [("references", 1, "industry", "Fintech"),
                   ("references", 2, "country", "Atlantis"),
                   ("references", 3, "products", "hr-01"),
                   ("prospects", 1, "needed_by", "tomorrow"),
                   ("usage", 2, "reference_id", "R-9")]
    assert list(problems["index"][:3]) == ["b", "c", "d"]
    assert problems["message"][0] == str(first.value)
    assert problems["message"][0].startswith("references frame row 1 (index 'b'): field "
                                             "'industry': expected a NAICS 2022 code")
    with pytest.raises(refmatch.ParseError) as collected:
        refmatch.Program.from_frames(**frames, errors="collect")
    assert str(collected.value).startswith("5 problem(s) in the frames")
    pd.testing.assert_frame_equal(collected.value.problems, problems)


def test_check_frames_of_good_frames_is_empty_and_a_column_error_has_no_row() -> None:
    frames = _bad_frames()
    good = frames["references"].iloc[[0]]
    usage = frames["usage"].iloc[[0]]
    assert refmatch.check_frames(products=frames["products"], references=good,
                                 usage=usage).empty
    program = refmatch.Program.from_frames(products=frames["products"], references=good,
                                           usage=usage)
    assert len(program.usage) == 1
    # A column error: one row without a row number.
    bad_column = good.assign(colour=["red"])
    problems = refmatch.check_frames(products=frames["products"], references=bad_column)
    assert len(problems) == 1 and pd.isna(problems["row"][0])
    assert "colour" in problems["found"][0]
