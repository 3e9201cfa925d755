"""refmatch.simulate: a hand-worked replay, the frames against recomputations from one another,
determinism for a seed, the greedy baseline never above the optimum, and the notebook that
plots a replay."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd
import pytest

import refmatch

D0 = dt.date(2026, 3, 2)
NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "notebooks" / "simulation.ipynb"


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


@pytest.fixture()
def two_references(tiny_vocabulary: refmatch.Vocabulary) -> refmatch.Program:
    """R-A matches P-1 exactly (base 1); R-B is in another region (base 0.35 + 0.35 + 0.10 =
    0.8). One sales call per 90 days each."""
    program = refmatch.Program(tiny_vocabulary)
    program.set_quota("sales_call", refmatch.QuotaLimit(max_uses=1, window_days=90))
    program.references.add_all([
        refmatch.ReferenceCustomer(rid, name=rid, industry="A11", products=["p1", "p2"],
                                   country=country, size=2, status="active",
                                   consents=["sales_call"])
        for rid, country in (("R-A", "DE"), ("R-B", "JP"))])
    program.prospects.add(refmatch.Prospect("P-1", industry="A11", products=["p1", "p2"],
                                            country="DE", size=2))
    return program


def three_requests() -> pd.DataFrame:
    return pd.DataFrame({"id": ["Q-1", "Q-2", "Q-3"], "day": [day(0), day(1), day(1)],
                         "prospect_id": ["P-1"] * 3, "activity": ["sales_call"] * 3,
                         "count": [1, 1, 1], "due": [day(2), day(4), day(1)],
                         "value": [100.0, 100.0, 50.0]})


def test_hand_worked_replay(two_references: refmatch.Program) -> None:
    # Holds on: Q-1 takes R-A on day 0 and holds it; on day 1 R-B goes to the higher value
    # Q-3 expires. Holds off: day 1 sees R-A free, Q-2 takes it and Q-3 R-B; R-A is
    # then used twice within 90 days, once over its limit.
    sim = refmatch.simulate(two_references, three_requests(),
                            ["holds", {"name": "no holds", "holds": False}],
                            decline_base=0.0, decline_fatigue=0.0, threads=1)
    held, unheld = sim.summary.loc["holds"], sim.summary.loc["no holds"]
    assert held["filled_on_time"] == 2
    assert held["mean_score"] == pytest.approx(0.9)
    assert held["value_covered"] == pytest.approx(200.0)
    assert held["over_limit_uses"] == 0
    assert unheld["filled_on_time"] == 3
    assert unheld["value_covered_share"] == pytest.approx(1.0)
    assert unheld["over_limit_uses"] == 1
    rows = sim.requests.set_index(["policy", "request_id"])
    assert rows.loc[("holds", "Q-2"), "references"] == "R-B"
    assert pd.isna(rows.loc[("holds", "Q-3"), "filled_on"])
    assert rows.loc[("no holds", "Q-2"), "references"] == "R-A"
    assert list(sim.days[sim.days.policy == "holds"]["day"].dt.date) == [day(n) for n in range(5)]


@pytest.fixture(scope="module")
def year(sample_program: refmatch.Program) -> pd.DataFrame:
    return refmatch.request_year(sample_program, seed=5, requests=900, days=90)


def test_frames_agree_with_one_another(sample_program: refmatch.Program,
                                       year: pd.DataFrame) -> None:
    sim = refmatch.simulate(sample_program, year,
                            [{"name": "optimal", "baseline": True},
                             {"name": "greedy", "method": "greedy"},
                             {"name": "tight", "quota_scale": 0.5, "fatigue_weight": 0.8,
                              "weights": {"industry": 0.5, "product": 0.3, "geography": 0.1,
                                          "size": 0.1}}],
                            seed=2, threads=1)
    assert list(sim.summary.index) == ["optimal", "greedy", "tight"]
    for name, row in sim.summary.iterrows():
        req = sim.requests[sim.requests.policy == name].merge(year, left_on="request_id",
                                                               right_on="id")
        days = sim.days[sim.days.policy == name]
        filled = req["filled_on"].notna()
        assert row["requests"] == len(year)
        assert row["filled_on_time"] == filled.sum() == days["filled"].sum()
        assert row["filled_share"] == pytest.approx(filled.mean())
        assert row["value_covered"] == pytest.approx(req.loc[filled, "value"].sum())
        assert row["mean_score"] == pytest.approx(req["score"].sum() / req["got"].sum())
        assert row["asks"] == row["promised"] + row["declines"] == days["asked"].sum()
        assert row["uses"] == days["used"].sum() == req["got"].sum()
        assert (req.loc[filled, "got"] == req.loc[filled, "count"]).all()
        assert (req["filled_on"].dropna().dt.date >= req.loc[filled, "day"]).all()
        assert 0 < row["top5_share"] < 1
    # On each day's state the greedy objective never beats the optimum.
    days = sim.days[sim.days.policy == "optimal"]
    slack = 1e-6 * year["value"].max() * (days["open"] + 1)
    assert (days["greedy_value"] <= days["value"] + slack).all()
    assert sim.summary.loc["optimal", "over_limit_uses"] == 0


def test_deterministic_for_a_seed(sample_program: refmatch.Program, year: pd.DataFrame) -> None:
    a = refmatch.simulate(sample_program, year, ["optimal"], seed=4, threads=1)
    b = refmatch.simulate(sample_program, year, ["optimal"], seed=4, threads=2)
    c = refmatch.simulate(sample_program, year, ["optimal"], seed=5, threads=1)
    pd.testing.assert_frame_equal(a.requests, b.requests)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert not a.requests.equals(c.requests)
    pd.testing.assert_frame_equal(refmatch.request_year(sample_program, seed=5, requests=900,
                                                        days=90), year)


def test_bad_input_names_what_is_wrong(two_references: refmatch.Program) -> None:
    with pytest.raises(ValueError, match="missing columns due"):
        refmatch.simulate(two_references, three_requests().drop(columns=["due"]))
    with pytest.raises(ValueError, match="unknown key 'speed'"):
        refmatch.simulate(two_references, three_requests(), [{"name": "x", "speed": 2}])
    bad = three_requests()
    bad.loc[0, "prospect_id"] = "P-9"
    with pytest.raises(refmatch.NotFoundError,
                       match="request 'Q-1': prospect 'P-9' is not in the program"):
        refmatch.simulate(two_references, bad)
    with pytest.raises(refmatch.ValidationError,
                       match="field 'quota_scale': expected a finite number > 0, got '-1'"):
        refmatch.simulate(two_references, three_requests(), [{"name": "x", "quota_scale": -1}])


@pytest.mark.notebook
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_simulation_notebook_runs_and_plots(monkeypatch: pytest.MonkeyPatch,
                                            sample_program: refmatch.Program) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    package_root = str(Path(refmatch.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    cell = next(c for c in notebook.cells if "summary" in c.metadata.get("tags", []))
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    shown = json.loads(text.strip().splitlines()[-1])
    # The notebook's figures are refmatch's: the same replay run here.
    requests = refmatch.request_year(sample_program, seed=7, requests=3000, days=180)
    sim = refmatch.simulate(sample_program, requests,
                            [{"name": "optimal"}, {"name": "greedy", "method": "greedy"}],
                            seed=1, threads=1)
    assert list(shown["filled_share"]) == ["optimal", "greedy", "no holds", "tight"]
    for name, share in sim.summary["filled_share"].items():
        assert shown["filled_share"][name] == pytest.approx(share, rel=1e-12)
    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert len(images) == 2  # the side-by-side figures and the backlog over the period
