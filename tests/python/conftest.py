"""Shared fixtures of the Python suite: a tiny hand-made vocabulary for hand-worked examples and
the generated sample program (the same as the bundled one)."""

from __future__ import annotations

import pytest

import refmatch


@pytest.fixture(scope="session")
def tiny_vocabulary() -> refmatch.Vocabulary:
    """Industries  A > A1 > A11, A12; A > A2;  B.   Geography  EU > WE > DE, FR; EU > NE > SE;  AS > JP.
    Products p1..p4; default size bands (B = 6)."""
    industries = refmatch.Taxonomy(
        [("A", "Sector A", ""), ("A1", "Group A1", "A"), ("A11", "Industry A11", "A1"),
         ("A12", "Industry A12", "A1"), ("A2", "Group A2", "A"), ("B", "Sector B", "")],
        name="tiny industries")
    geography = refmatch.Taxonomy(
        [("EU", "Europe", ""), ("WE", "Western Europe", "EU"), ("DE", "Germany", "WE"),
         ("FR", "France", "WE"), ("NE", "Northern Europe", "EU"), ("SE", "Sweden", "NE"),
         ("AS", "Asia", ""), ("JP", "Japan", "AS")],
        root_code="W", root_title="World", name="tiny geography")
    return refmatch.Vocabulary(industries=industries, geography=geography,
                               products=refmatch.ProductCatalog(["p1", "p2", "p3", "p4"]))


@pytest.fixture()
def tiny_program(tiny_vocabulary: refmatch.Vocabulary) -> refmatch.Program:
    """Four active references and one paused, with hand-checkable scores (see test_engine.py)."""
    program = refmatch.Program(tiny_vocabulary)
    program.references.add_all([
        refmatch.ReferenceCustomer("R1", name="One", industry="A11", products=["p1", "p2"],
                                   country="DE", size=2, status="active",
                                   consents=["sales_call", "logo_use"]),
        refmatch.ReferenceCustomer("R2", name="Two", industry="A12", products=["p1"],
                                   country="FR", size=3, status="active",
                                   consents={"sales_call": refmatch.QuotaLimit(max_uses=2)}),
        refmatch.ReferenceCustomer("R3", name="Three", industry="B", products=["p3"],
                                   country="JP", size=None, status="active",
                                   consents=["logo_use"]),
        refmatch.ReferenceCustomer("R4", name="Four", industry="A11", products=["p1", "p2"],
                                   country="DE", size=2, status="active",
                                   consents=["sales_call"]),
        refmatch.ReferenceCustomer("R5", name="Five", industry="A11", products=["p1", "p2"],
                                   country="DE", size=2, status="paused",
                                   consents=["sales_call"]),
    ])
    return program


@pytest.fixture(scope="session")
def sample_program() -> refmatch.Program:
    """The generated sample program (2,000 references, 500 prospects). Treat as read-only."""
    return refmatch.generate_program()


@pytest.fixture(scope="session")
def sample_engine(sample_program: refmatch.Program) -> refmatch.Engine:
    return refmatch.Engine(sample_program)
