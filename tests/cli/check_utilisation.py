"""`refmatch utilisation` and `refmatch stats` agree: for every activity, the consenting, active,
at-quota, cooling and headroom counts of stats are the counts of utilisation's rows (CSV), and
each row's used count is the usage file's, counted here by hand.

usage: check_utilisation.py REFMATCH_EXE PROGRAM_DIR
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
import sys


def run(exe: str, *args: str) -> str:
    done = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"check_utilisation: {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def main() -> None:
    exe, program = sys.argv[1], sys.argv[2]
    stats = run(exe, "stats", "--program", program)
    now = re.search(r"as of\s+(\d{4}-\d{2}-\d{2})", stats).group(1)
    rows = list(csv.DictReader(io.StringIO(run(exe, "utilisation", "--program", program, "--csv"))))
    table = stats[stats.index("Consent and quota headroom"):].splitlines()[2:]
    checked = 0
    for line in table:
        parts = line.split()
        if len(parts) < 6:
            continue
        activity = parts[0]
        consent, active, at_quota, cooling, headroom = map(int, parts[-5:])
        mine = [r for r in rows if r["activity"] == activity]
        on = [r for r in mine if r["status"] == "active"]
        full = [r for r in on if r["max_uses"] and int(r["used"]) >= int(r["max_uses"])]
        cool = [r for r in on if r["cooldown_end"]]
        free = [r for r in on if r["eligible"] == "true"]
        got = (len(mine), len(on), len(full), len(cool), len(free))
        if got != (consent, active, at_quota, cooling, headroom):
            sys.exit(f"check_utilisation: {activity}: stats says "
                     f"{(consent, active, at_quota, cooling, headroom)}, utilisation {got}")
        checked += 1
    if checked < 12:
        sys.exit(f"check_utilisation: only {checked} activities in stats")
    # The used counts against the usage file, by hand: uses in (now - window, now].
    day = dt.date.fromisoformat(now)
    with open(f"{program}/usage.csv", newline="", encoding="utf-8") as f:
        uses = [(r["reference_id"], r["activity"], dt.date.fromisoformat(r["date"]))
                for r in csv.DictReader(f)]
    for r in rows[::37]:
        window = int(r["window_days"])
        used = sum(1 for ref, act, d in uses if ref == r["reference_id"] and
                   act == r["activity"] and 0 <= (day - d).days < window)
        ever = any(ref == r["reference_id"] and act == r["activity"] for ref, act, _ in uses)
        if int(r["used"]) != used or (r["never_used"] == "true") == ever:
            sys.exit(f"check_utilisation: {r['reference_id']} {r['activity']}: {r}, by hand "
                     f"used {used}, ever used {ever}")
    print(f"check_utilisation: {checked} activities and {len(rows)} rows agree with stats")


if __name__ == "__main__":
    main()
