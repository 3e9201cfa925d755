"""The model: taxonomies, catalogues, quotas, records, stores, ledger, errors."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

import refmatch


# --- Taxonomies ----------------------------------------------------------------------------------

def test_naics_wu_palmer_hand_worked() -> None:
    naics = refmatch.naics2022()
    assert len(naics) == 2126  # 2,125 codes + the virtual root
    assert naics.depth("51") == 1 and naics.depth("513210") == 5
    # Same industry group 5131: lca depth 3 -> 2*3 / (5+5).
    assert naics.similarity("513110", "513120") == pytest.approx(0.6)
    # Same subsector 513 only: 2*2 / 10.
    assert naics.similarity("513210", "513120") == pytest.approx(0.4)
    assert naics.lca("513210", "513120") == "513"
    # Different sectors: only the root in common.
    assert naics.similarity("513210", "522110") == 0.0
    # A sector against one of its national industries: 2*1 / (1+5).
    assert naics.similarity("51", "513210") == pytest.approx(1 / 3)
    assert naics.similarity("513210", "513210") == 1.0
    assert naics.similarity("513210", None) == 0.0
    assert naics.similarity("513210", "Fintech") == 0.0
    assert naics.ancestors("513210") == ["51321", "5132", "513", "51", ""]
    assert naics.parent("31-33") == ""
    assert "332" in naics.children("31-33")


def test_m49_countries_and_aliases() -> None:
    geo = refmatch.m49_geography()
    assert geo.code("DEU") == "DE" and geo.code("Germany") == "DE" and geo.code("276") == "DE"
    assert geo.parent("DE") == "155"
    assert geo.title("155") == "Western Europe"
    assert geo.similarity("DE", "FR") == pytest.approx(2 / 3)  # same sub-region
    assert geo.similarity("DE", "SE") == pytest.approx(1 / 3)  # same region (Europe)
    assert geo.similarity("DE", "JP") == 0.0  # different regions
    assert geo.similarity("Western Europe", "DE") == pytest.approx(2 * 2 / (2 + 3))


def test_taxonomy_errors_name_line_and_field() -> None:
    with pytest.raises(refmatch.ParseError) as info:
        refmatch.parse_taxonomy_csv("code,title,parent\nA,a,\nB,b,X\n", "t.csv")
    e = info.value
    assert str(e) == "t.csv:3: field 'parent': expected a code defined in the taxonomy, got 'X'"
    assert (e.file, e.line, e.field, e.found) == ("t.csv", 3, "parent", "X")
    assert isinstance(e, refmatch.Error) and isinstance(e, ValueError)
    with pytest.raises(refmatch.ParseError, match="a cycle"):
        refmatch.Taxonomy([("A", "a", "B"), ("B", "b", "A")])
    with pytest.raises(refmatch.NotFoundError) as missing:
        refmatch.naics2022().at("Fintech")
    assert str(missing.value) == "no code 'Fintech' in taxonomy 'NAICS 2022'"
    assert isinstance(missing.value, LookupError)


def test_taxonomy_built_from_rows(tiny_vocabulary: refmatch.Vocabulary) -> None:
    geo = tiny_vocabulary.geography
    assert repr(geo) == "Taxonomy(name='tiny geography', codes=8, max_depth=3)"
    assert geo.lca("DE", "SE") == "EU"
    assert geo.lca("DE", "JP") == "W"
    assert geo.entries()[0] == ("EU", "Europe", "")
    rebuilt = refmatch.Taxonomy(geo.entries(), root_code="W")
    assert rebuilt.similarity("DE", "FR") == geo.similarity("DE", "FR")
    assert "de" in geo  # case ignored
    with pytest.raises(IndexError):
        geo.code(99)


# --- Catalogues, sizes, activities, quotas -------------------------------------------------------

def test_products_sizes_activities() -> None:
    catalog = refmatch.ProductCatalog(["p1", refmatch.Product("p2", name="Two", family="f")])
    assert len(catalog) == 2 and catalog.at("p2") == 1 and catalog.find("zz") is None
    assert catalog[1] == refmatch.Product("p2", name="Two", family="f")
    with pytest.raises(refmatch.ValidationError, match="^duplicate product id 'p1'$"):
        catalog.add(refmatch.Product("p1"))
    bands = refmatch.SizeBands()
    assert bands.count == 6 and bands.band_of(1000) == 3 and bands.band_of(0) is None
    assert bands.label(3) == "1000-4999"
    assert bands.closeness(0, 5) == 0.0 and bands.closeness(2, 3) == pytest.approx(0.8)
    assert bands.closeness(None, 3) == 0.0
    activities = refmatch.ActivityCatalog()
    assert len(activities) == 12 and activities.at("site_visit") == refmatch.ActivityId(11)
    webinar = activities.add("webinar")
    assert webinar.value == 12 and activities.name(webinar) == "webinar"
    with pytest.raises(refmatch.ValidationError):
        activities.add("Not Valid!")
    assert refmatch.ActivityId("sales_call").value == 7
    assert repr(refmatch.ActivityId("sales_call")) == "ActivityId('sales_call')"
    with pytest.raises(refmatch.ValidationError,
                       match="expected one of the activities name_drop, .*, got 'webinar'"):
        refmatch.ActivityId("webinar")
    assert refmatch.STANDARD_ACTIVITIES[0] == "name_drop"


def test_quotas() -> None:
    limit = refmatch.QuotaLimit(max_uses=2, window_days=90, cooldown_days=7)
    assert repr(limit) == "QuotaLimit(max_uses=2, window_days=90, cooldown_days=7)"
    with pytest.raises(refmatch.ValidationError) as zero:
        refmatch.QuotaLimit(max_uses=0)
    assert str(zero.value) == "quota: max_uses must be at least 1 (leave it empty for no limit)"
    with pytest.raises(refmatch.ValidationError, match="window_days must be at least 1"):
        refmatch.QuotaLimit(window_days=0)
    policy = refmatch.QuotaPolicy()
    assert policy.limit("sales_call") == refmatch.QuotaLimit(max_uses=6, window_days=90,
                                                             cooldown_days=7)
    assert policy.limit("logo_use").max_uses is None
    policy.set("sales_call", limit)
    assert policy.to_dict()["sales_call"] == limit
    assert pickle.loads(pickle.dumps(policy)) == policy


# --- Records -------------------------------------------------------------------------------------

def test_reference_record_fields_and_pickle() -> None:
    r = refmatch.ReferenceCustomer(
        "R-1", name="Øresund Bank", industry="5221", products=["p1", "p2"], country="DK", size=3,
        status="active", consents={"sales_call": refmatch.QuotaLimit(max_uses=2), "quote": None},
        nps=9, csat=88.5, owner="Ana", last_contact="2025-06-01")
    assert r.status == refmatch.ReferenceStatus.ACTIVE
    assert r.last_contact == dt.date(2025, 6, 1)
    assert r.consents_to("quote") and not r.consents_to("site_visit")
    assert r.effective_limit("sales_call", refmatch.QuotaPolicy()).max_uses == 2
    assert r.effective_limit("quote", refmatch.QuotaPolicy()).max_uses == 12
    assert repr(r) == ("ReferenceCustomer('R-1', name='Øresund Bank', industry='5221', "
                       "products=['p1', 'p2'], country='DK', size=3, status='active')")
    assert pickle.loads(pickle.dumps(r)) == r
    assert refmatch.ReferenceCustomer.from_dict(r.to_dict()) == r
    r.products = ["p3"]
    assert r.products == ["p3"]
    with pytest.raises(TypeError, match="products: expected a list of strings"):
        refmatch.ReferenceCustomer("R-2", products="p1")
    with pytest.raises(refmatch.ValidationError,
                       match="expected one of candidate, active, paused, retired, got 'gone'"):
        refmatch.ReferenceCustomer("R-2", status="gone")


def test_prospect_record() -> None:
    p = refmatch.Prospect("P-1", industry="52", products=["p1"], activity="sales_call",
                          needed_by=dt.date(2025, 7, 1), exclusions=["R-9"], deal_value=1e5)
    assert p.activity == refmatch.ActivityId("sales_call")
    assert p.needed_by == dt.date(2025, 7, 1)
    assert pickle.loads(pickle.dumps(p)) == p
    p.activity = None
    assert p.activity is None
    with pytest.raises(ValueError, match="expected an ISO date YYYY-MM-DD, got '2025-13-01'"):
        refmatch.Prospect("P-2", needed_by="2025-13-01")


def test_unpickling_checks_the_version() -> None:
    p = refmatch.Prospect("P-1")
    state = p.__getstate__()
    broken = refmatch.Prospect.__new__(refmatch.Prospect)
    with pytest.raises(ValueError, match="cannot unpickle Prospect: expected state version 1, got 99"):
        broken.__setstate__((99,) + tuple(state[1:]))


# --- Stores, ledger, program ---------------------------------------------------------------------

def test_store_validates_and_is_all_or_nothing(tiny_program: refmatch.Program) -> None:
    refs = tiny_program.references
    assert len(refs) == 5 and "R1" in refs and refs["R2"].name == "Two"
    version = refs.version
    with pytest.raises(refmatch.ValidationError) as bad:
        refs.add_all([refmatch.ReferenceCustomer("R6", industry="A"),
                      refmatch.ReferenceCustomer("R7", industry="Fintech")])
    e = bad.value
    assert str(e) == "reference 'R7': field 'industry': expected a tiny industries code, got 'Fintech'"
    assert (e.field, e.expected, e.found, e.file, e.line) == (
        "industry", "a tiny industries code", "Fintech", None, None)
    assert len(refs) == 5 and refs.version == version and "R6" not in refs
    with pytest.raises(refmatch.ValidationError, match="^reference 'R1': id is already in the store$"):
        refs.add(refmatch.ReferenceCustomer("R1"))
    with pytest.raises(refmatch.NotFoundError, match="^no reference 'R9' in the store$"):
        refs.remove("R9")
    assert [r.id for r in refs.in_industry("A1")] == ["R1", "R2", "R4", "R5"]
    assert [r.id for r in refs.in_geography("WE")] == ["R1", "R2", "R4", "R5"]
    assert [r.id for r in refs.with_status("paused")] == ["R5"]
    refs.update(refmatch.ReferenceCustomer("R5", industry="B", status="retired"))
    assert refs["R5"].industry == "B" and refs.version > version
    assert [r.id for r in refs] == ["R1", "R2", "R3", "R4", "R5"]


def test_ledger_and_program_usage(tiny_program: refmatch.Program) -> None:
    tiny_program.record_usage("R2", "sales_call", "2025-06-01", opportunity_id="O-1")
    tiny_program.record_usage(refmatch.UsageEvent("R2", "sales_call", dt.date(2025, 3, 1)))
    ledger = tiny_program.usage
    assert len(ledger) == 2
    assert ledger.used("R2", "sales_call", 90, dt.date(2025, 6, 30)) == 1
    assert ledger.used("R2", "sales_call", 365, dt.date(2025, 6, 30)) == 2
    assert ledger.last_use("R2", "sales_call") == dt.date(2025, 6, 1)
    assert ledger.last_use("R2", "sales_call", now=dt.date(2025, 5, 1)) == dt.date(2025, 3, 1)
    assert ledger.last_use("R1", "sales_call") is None
    with pytest.raises(refmatch.ValidationError) as bad:
        tiny_program.record_usage("R9", "sales_call", "2025-06-01")
    assert str(bad.value) == ("usage of 'R9': field 'reference_id': expected a reference id of "
                              "the program, got 'R9'")
    assert len(ledger) == 2
    assert repr(tiny_program) == "Program(references=5, prospects=0, usage_events=2, products=4)"
    copy = tiny_program.copy()
    copy.record_usage("R1", "logo_use", "2025-06-02")
    assert len(tiny_program.usage) == 2 and len(copy.usage) == 3


def test_vocabulary_is_copied_into_the_program(tiny_vocabulary: refmatch.Vocabulary) -> None:
    vocab = refmatch.Vocabulary(industries=tiny_vocabulary.industries,
                                products=refmatch.ProductCatalog(["p1"]))
    program = refmatch.Program(vocab)
    vocab.products.add(refmatch.Product("p2"))
    assert len(vocab.products) == 2
    assert len(program.vocabulary.products) == 1


def test_every_class_has_a_repr() -> None:
    for name in refmatch.__all__:
        obj = getattr(refmatch, name)
        if isinstance(obj, type) and not issubclass(obj, BaseException):
            assert "__repr__" in vars(obj) or obj.__repr__ is not object.__repr__, name
