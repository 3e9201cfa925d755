"""Files in and out: the bundled sample, program directories, parse errors, the generator."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import refmatch


def test_bundled_sample_equals_the_generator(sample_program: refmatch.Program) -> None:
    loaded = refmatch.sample_program()
    assert repr(loaded) == "Program(references=2000, prospects=500, usage_events=9314, products=50)"
    assert loaded.references.all() == sample_program.references.all()
    assert loaded.prospects.all() == sample_program.prospects.all()
    assert (refmatch.sample_program_dir() / "references.csv").is_file()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_save_and_load_round_trip(tmp_path: Path, sample_program: refmatch.Program,
                                  fmt: str) -> None:
    refmatch.save_program(sample_program, tmp_path, format=fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{t}.{fmt}" for t in ("products", "quotas", "references", "prospects", "usage"))
    seen: list = []
    loaded = refmatch.load_program(tmp_path, progress=lambda f, d, t: seen.append((f, d, t)))
    assert loaded.references.all() == sample_program.references.all()
    assert loaded.usage.events() == sample_program.usage.events()
    assert loaded.quotas == sample_program.quotas
    assert refmatch.check_program(tmp_path) == []
    assert seen, "progress was never reported"


def test_load_errors_name_file_line_and_field(tmp_path: Path,
                                              sample_program: refmatch.Program) -> None:
    refmatch.save_program(sample_program, tmp_path)
    lines = (tmp_path / "references.csv").read_text(encoding="utf-8").splitlines()
    fields = lines[4].split(",")
    fields[2] = "Fintech"
    lines[4] = ",".join(fields)
    (tmp_path / "references.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(refmatch.ParseError) as bad:
        refmatch.load_program(tmp_path)
    e = bad.value
    assert str(e) == "references.csv:5: field 'industry': expected a NAICS 2022 code, got 'Fintech'"
    assert (e.file, e.line, e.field, e.expected, e.found) == (
        "references.csv", 5, "industry", "a NAICS 2022 code", "Fintech")
    errors = refmatch.check_program(tmp_path)
    assert [(x["file"], x["line"], x["field"]) for x in errors] == [("references.csv", 5, "industry")]
    assert errors[0]["message"] == str(e)


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(refmatch.Error):
        refmatch.load_program(tmp_path / "nowhere")


def test_text_tables_round_trip(sample_program: refmatch.Program) -> None:
    vocab = sample_program.vocabulary
    refs = sample_program.references.all()[:20]
    for fmt in ("csv", "json"):
        text = refmatch.format_references(refs, vocab, format=fmt)
        assert refmatch.parse_references(text, vocab, format=fmt) == refs
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        refmatch.format_references(refs, vocab, format="xml")


def test_generator_is_deterministic() -> None:
    a = refmatch.generate_program(seed=7, references=300, prospects=40, products=12)
    b = refmatch.generate_program(seed=7, references=300, prospects=40, products=12)
    c = refmatch.generate_program(seed=8, references=300, prospects=40, products=12)
    assert repr(a) == "Program(references=300, prospects=40, usage_events=%d, products=12)" % len(a.usage)
    assert a.references.all() == b.references.all()
    assert a.references.all() != c.references.all()
    assert pickle.loads(pickle.dumps(a)).prospects.all() == a.prospects.all()


def test_standard_vocabulary() -> None:
    v = refmatch.standard_vocabulary(["p1", refmatch.Product("p2", name="Two")])
    assert v.industries.name == "NAICS 2022" and v.geography.name == "UN M49"
    assert v.products.ids == ["p1", "p2"] and v.sizes.count == 6
    assert "Vocabulary(industries='NAICS 2022' (2125 codes)" in repr(v)


def test_a_false_progress_answer_cancels_the_load(tmp_path: Path,
                                                  sample_program: refmatch.Program) -> None:
    refmatch.save_program(sample_program, tmp_path)
    stages: list = []

    def stop_at_references(file: str, done: int, total: int) -> bool:
        stages.append(file)
        return file != "references.csv"

    with pytest.raises(refmatch.Cancelled, match="reading references.csv cancelled"):
        refmatch.load_program(tmp_path, progress=stop_at_references)
    assert stages[-1] == "references.csv" and "usage.csv" not in stages
    assert issubclass(refmatch.MatchCancelled, refmatch.Cancelled)
