"""Writes the report of the sample with `refmatch report`, opens it in headless Chromium and
checks that it rendered: every chart in the DOM, the page's own check ran (body data-charts), no
console message of level error or warning, no request to the network. Leaves the screenshot
report.png beside the report for people to look at.

usage: check_report.py REFMATCH_EXE PROGRAM_DIR OUT_DIR
"""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

CHARTS = ("chart-lorenz", "chart-segments", "chart-win-rates", "chart-shortlist")


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check_report: chromium is not installed (cmake/install-deps.sh installs it)")


def run_browser(args: list) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium(), "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
             f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
             "--hide-scrollbars", *args],
            capture_output=True, text=True, timeout=120)


def main() -> int:
    exe, program, out = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    report = out / "report.html"
    made = subprocess.run([exe, "report", "--program", program, "--out", str(report)],
                          capture_output=True, text=True)
    print(made.stdout, made.stderr, end="")
    if made.returncode != 0:
        return 1
    url = report.resolve().as_uri()
    dom = run_browser(["--dump-dom", url])
    failures = []
    for chart in CHARTS:
        if f'id="{chart}"' not in dom.stdout:
            failures.append(f"chart {chart} missing from the rendered DOM")
    if f'data-charts="{len(CHARTS)}"' not in dom.stdout:
        failures.append("the page's script did not confirm the charts (body data-charts)")
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    bad = [line for line in console if re.search(r"error|warn|Uncaught", line, re.I)]
    failures += [f"console: {line}" for line in bad]
    network = [line for line in dom.stderr.splitlines()
               if re.search(r"net::ERR_|Failed to load resource", line)]
    failures += [f"network: {line}" for line in network]
    shot = out / "report.png"
    picture = run_browser([f"--screenshot={shot}", "--window-size=1100,4200", url])
    if not shot.exists() or shot.stat().st_size < 10000:
        failures.append(f"no screenshot written ({picture.returncode}): {picture.stderr[-400:]}")
    for f in failures:
        print("check_report:", f)
    if failures:
        return 1
    print(f"check_report: {len(CHARTS)} charts rendered, console clean; screenshot {shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
