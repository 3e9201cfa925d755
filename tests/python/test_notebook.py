"""docs/notebooks/quickstart.ipynb runs headless, and its numbers are the ones refmatch gives here;
every notebook of docs/notebooks runs with `jupyter nbconvert --execute`, as docs/python.md says."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import refmatch

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "notebooks" / "quickstart.ipynb"
NOW = dt.date(2025, 6, 30)


@pytest.mark.notebook
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_quickstart_notebook_runs_and_shows_real_values(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel imports the refmatch this test imports, and runs quietly.
    package_root = str(Path(refmatch.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()

    summary_cell = next(c for c in notebook.cells if "summary" in c.metadata.get("tags", []))
    text = "".join(o.get("text", "") for o in summary_cell.outputs if o.output_type == "stream")
    summary = json.loads(text.strip().splitlines()[-1])

    program = refmatch.sample_program()
    engine = refmatch.Engine(program)
    best = engine.match("P-0001", k=1, now=NOW)[0]
    batch = engine.match_batch(program.prospects_frame(), k=5, now=NOW)
    report = engine.gaps(now=NOW, threshold=0.6)
    assert summary["references"] == 2000
    assert summary["batch_rows"] == len(batch)
    assert summary["p0001_best"] == [best.reference_id, round(best.final, 12)]
    assert summary["uncovered"] == report.uncovered > 0
    assert summary["value_at_risk"] == pytest.approx(report.value_at_risk)
    assert summary["at_quota"] > 0

    referral_cell = next(c for c in notebook.cells
                         if "referrals-summary" in c.metadata.get("tags", []))
    text = "".join(o.get("text", "") for o in referral_cell.outputs if o.output_type == "stream")
    shown = json.loads(text.strip().splitlines()[-1])
    referrals, _ = refmatch.generate_referrals(5000, 1000, seed=7)
    ab = refmatch.referral_ab_test(referrals, "A", "B", planned_per_variant=3000)
    value = referrals.referred_value(seed=1)
    assert shown["referrals"] == len(referrals)
    assert shown["rings_found"] is True
    assert shown["findings"] == len(referrals.check())
    assert shown["p_value_fisher"] == pytest.approx(ab["p_value_fisher"])
    assert shown["stopped_early"] is True
    assert shown["value_interval"] == pytest.approx([value["low"], value["high"]])

    measurement_cell = next(c for c in notebook.cells
                            if "measurement-summary" in c.metadata.get("tags", []))
    text = "".join(o.get("text", "") for o in measurement_cell.outputs
                   if o.output_type == "stream")
    measured = json.loads(text.strip().splitlines()[-1])
    balance = refmatch.measure_balance(program, NOW)
    outcomes = refmatch.load_outcomes(refmatch.sample_program_dir(), program)
    influence = refmatch.measure_influence(program, outcomes, start=NOW - dt.timedelta(days=364),
                                           end=NOW)
    recruits = refmatch.recommend_recruits(program, activity="sales_call", now=NOW, shortlist=10)
    assert measured["gini"] == pytest.approx(balance.gini)
    assert measured["top10_share"] == pytest.approx(balance.top10_share)
    assert measured["influenced_revenue"] == pytest.approx(influence.influenced_revenue)
    assert influence.influenced_revenue > 0
    assert measured["credited_revenue"] == pytest.approx(influence.influenced_revenue)
    assert measured["shortlist"] == list(recruits.shortlist["reference_id"])
    assert measured["shortlist_value"] == pytest.approx(
        recruits.shortlist["marginal_value"].sum())
    # The notebook's nine requests, all settled by then: 5 served by their needed-by day, 2
    # served late, 2 declined by the customer and left past due.
    levels = {label: (requests, met) for label, requests, met in measured["service_levels"]}
    assert levels == {"sales_call": (4, 2), "case_study": (2, 1), "quote": (3, 2)}
    assert measured["declines"] == 2
    assert measured["report_charts"] == 5  # service levels included

    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    # The gap heatmap, the headroom histogram, the referral funnel, the A/B and value chart, and
    # the measurement charts: Lorenz curve, influence by segment, shortlist, service levels.
    assert len(images) == 8
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors


NOTEBOOKS = sorted(NOTEBOOK.parent.glob("*.ipynb"))


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_run_with_jupyter_nbconvert_as_documented(path: Path, tmp_path: Path) -> None:
    # docs/python.md's headless command: Debian's jupyter, its python3 kernel, refmatch on
    # PYTHONPATH. Every code cell runs and none ends in an error.
    jupyter = shutil.which("jupyter")
    if jupyter is None or shutil.which("jupyter-nbconvert") is None:
        pytest.skip("jupyter nbconvert is not installed (jupyter-nbconvert, jupyter-notebook)")
    package_root = str(Path(refmatch.__file__).resolve().parents[1])
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1", PYTHONPATH=os.pathsep.join(
        [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    done = subprocess.run(
        [jupyter, "nbconvert", "--to", "notebook", "--execute", "--output-dir", str(tmp_path),
         "--ExecutePreprocessor.timeout=300", str(path)],
        cwd=path.parent, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    executed = nbformat.read(tmp_path / path.name, as_version=4)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
