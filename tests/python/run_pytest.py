"""Runs pytest for ctest and keeps a copy of its output, so that CI can print pytest's own
closing line after ctest's summary.

Usage: run_pytest.py LOG_FILE [pytest arguments...]
"""

import subprocess
import sys


def main() -> int:
    log_file, args = sys.argv[1], sys.argv[2:]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    sys.stdout.write(proc.stdout)
    with open(log_file, "w", encoding="utf-8") as f:
        f.write(proc.stdout)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
