"""`refmatch import --into DB` on real SQLite files: the hand-written Salesforce exports go into an
empty database as the same program that `--out DIR` writes (compared through `db export`, and row
by row against the exports themselves, read here with the csv module); an export with bad rows,
or a database that already holds a program, leaves the database exactly as it was; with
--skip-bad-rows the good rows go in and the rejected ones to the reject file.

usage: check_crm_into_db.py REFMATCH_EXE CRM_DATA_DIR WORK_DIR
"""

from __future__ import annotations

import csv
import filecmp
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path


def run(exe: str, *args: str, rc: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    if done.returncode != rc:
        sys.exit(f"check_crm_into_db: {' '.join(args)}: exit {done.returncode}, expected {rc}\n"
                 f"{done.stdout}{done.stderr}")
    return done


def dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as c:
        return list(c.iterdump())


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute(sql).fetchall()


def expect(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"check_crm_into_db: {what}")


def main() -> None:
    exe, crm, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sf = crm / "salesforce"
    exports = ["--mapping", "salesforce", "--accounts", str(sf / "Accounts.csv"),
               "--opportunities", str(sf / "Opportunities.csv"),
               "--opportunity-products", str(sf / "OpportunityLineItems.csv"),
               "--products", str(sf / "Products.csv")]

    # The good exports, into an empty database and into a directory.
    db = work / "program.db"
    run(exe, "db", "init", str(db))
    done = run(exe, "import", *exports, "--into", str(db))
    expect("program: 5 references, 3 prospects, 3 products" in done.stdout, done.stdout)
    expect(f"imported into {db}" in done.stdout, done.stdout)
    run(exe, "import", *exports, "--out", str(work / "dir"))
    run(exe, "db", "export", str(db), str(work / "exported"))
    for name in ("products.csv", "references.csv", "prospects.csv", "outcomes.csv"):
        expect(filecmp.cmp(work / "dir" / name, work / "exported" / name, shallow=False),
               f"{name} from the database differs from the directory import's")

    # Row by row against the exports: every customer account is a reference, with its name;
    # every opportunity an outcome, with its amount; the open ones prospects.
    with open(sf / "Accounts.csv", newline="", encoding="utf-8-sig") as f:
        accounts = list(csv.DictReader(f))
    customers = {a["Id"].strip(): a["Name"].strip() for a in accounts
                 if a["Type"].strip().lower().startswith("customer")}
    expect(dict(rows(db, "SELECT id, name FROM reference_customer")) == customers,
           f"references {rows(db, 'SELECT id, name FROM reference_customer')} != {customers}")
    with open(sf / "Opportunities.csv", newline="", encoding="utf-8-sig") as f:
        opportunities = list(csv.DictReader(f))
    stored = dict(rows(db, "SELECT opportunity_id, status FROM opportunity_outcome"))
    # (a report export: field labels, not API names)
    expect(set(stored) == {o["Opportunity ID"] for o in opportunities}, f"outcomes {stored}")
    open_ids = {o["Opportunity ID"] for o in opportunities
                if not o["Stage"].startswith("Closed")}
    expect({i for i, s in stored.items() if s == "open"} == open_ids, f"open outcomes {stored}")
    prospects = {r[0] for r in rows(db, "SELECT id FROM prospect")}
    expect(prospects == open_ids, f"prospects {prospects} != {open_ids}")

    # A database that holds a program already is refused and left as it was.
    before = dump(db)
    done = run(exe, "import", *exports, "--into", str(db), rc=1)
    expect("already holds a program" in done.stderr, done.stderr)
    expect(dump(db) == before, "a refused import changed the database")

    # An export with bad rows imports nothing: every problem named, the database unchanged.
    bad = work / "bad.db"
    run(exe, "db", "init", str(bad))
    before = dump(bad)
    bad_exports = ["--mapping", "salesforce", "--accounts", str(crm / "bad" / "Accounts.csv")]
    done = run(exe, "import", *bad_exports, "--into", str(bad), rc=1)
    for text in ("Accounts.csv:3: field 'Industry': expected a salesforce industry",
                 "Accounts.csv:4: field 'BillingCountry'", "2 problems, nothing imported"):
        expect(text in done.stderr, f"{text!r} not in {done.stderr}")
    expect(dump(bad) == before, "a failed import changed the database")
    expect(not (work / "bad.db.rejects").exists(), "a failed import wrote rejects")

    # With --skip-bad-rows the good row goes in, the two others to the reject file.
    done = run(exe, "import", *bad_exports, "--into", str(bad), "--skip-bad-rows",
               "--rejects", str(work / "rejects"))
    expect(rows(bad, "SELECT id FROM reference_customer") == [("0015g00000KX2aAAAT",)],
           f"{rows(bad, 'SELECT id FROM reference_customer')}")
    with open(work / "rejects" / "Accounts.csv", newline="", encoding="utf-8") as f:
        rejected = list(csv.DictReader(f))
    expect([r["Id"] for r in rejected] == ["0015g00000KX2aBAAT", "0015g00000KX2aCAAT"],
           f"rejects {rejected}")
    expect(all(r["reject_reason"] for r in rejected), "a reject without its reason")

    # A missing database is an error before anything is read, and creates no file.
    missing = work / "absent.db"
    run(exe, "import", *exports, "--into", str(missing), rc=1)
    expect(not missing.exists(), "--into created a database")
    print("check_crm_into_db: ok")


if __name__ == "__main__":
    main()
