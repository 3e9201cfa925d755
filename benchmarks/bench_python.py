#!/usr/bin/python3
"""match_batch from Python against the same call from C++ (not a test: a measurement).

Both sides use the generated program of bench_engine.cpp's BM_MatchBatch_Engine (seed 2026,
100,000 references, 10,000 prospects), k = 10, no activity, no reason text, 1 and 2 threads.

Python is timed three ways:
  batch   - prospects already converted (a ProspectBatch), result as a tidy DataFrame: the cost
            of the call itself (GIL release, result conversion);
  frame   - prospects given as a pandas DataFrame (converted on every call), DataFrame out;
  lists   - ProspectBatch in, lists of MatchResult objects out.
C++ is bench_engine's BM_MatchBatch_Engine/10000/<threads>, run by this script when --bench-engine
names the binary (build it with `cmake --build <build> --target bench_engine`).

    PYTHONPATH=build/release/python /usr/bin/python3 benchmarks/bench_python.py \\
        --bench-engine build/release/benchmarks/bench_engine
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time

import refmatch


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def cpp_times(binary: str, prospects: int, threads: list[int], repeat: int) -> dict[int, float]:
    out = {}
    for t in threads:
        result = subprocess.run(
            [binary, f"--benchmark_filter=^BM_MatchBatch_Engine/{prospects}/{t}/",
             f"--benchmark_repetitions={repeat}", "--benchmark_format=json"],
            check=True, capture_output=True, text=True)
        runs = [b for b in json.loads(result.stdout)["benchmarks"]
                if b.get("run_type") == "iteration"]
        unit = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[runs[0]["time_unit"]]
        out[t] = min(b["real_time"] for b in runs) * unit
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--references", type=int, default=100_000)
    parser.add_argument("--prospects", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bench-engine", help="path of the bench_engine binary")
    args = parser.parse_args()

    start = time.perf_counter()
    program = refmatch.generate_program(seed=2026, references=args.references,
                                        prospects=args.prospects)
    engine = refmatch.Engine(program)
    frame = program.prospects_frame()
    batch = refmatch.prospects_from_frame(frame, program.vocabulary)
    print(f"program: {program!r}, engine: {engine!r} "
          f"(set up in {time.perf_counter() - start:.1f} s)")
    options = dict(use_prospect_activity=False, explain=False)
    pairs = len(batch) * engine.stats()["references"]

    # Other processes share the machine: interleave the C++ and Python runs in rounds and keep
    # the best time of each, which is the least disturbed one.
    python: dict[tuple[str, int], float] = {}
    cpp: dict[int, float] = {}
    for _ in range(args.repeat):
        for t in args.threads:
            if args.bench_engine:
                c = cpp_times(args.bench_engine, len(batch), [t], 1)[t]
                cpp[t] = min(cpp.get(t, c), c)
            runs = {
                "batch": lambda: engine.match_batch(batch, args.k, threads=t, **options),
                "frame": lambda: engine.match_batch(frame, args.k, threads=t, **options),
                "lists": lambda: engine.match_batch(batch, args.k, threads=t, as_frame=False,
                                                    **options),
            }
            for kind, run in runs.items():
                p = best_of(1, run)
                python[(kind, t)] = min(python.get((kind, t), p), p)

    print(f"{'threads':>7} {'C++ s':>8} {'Py batch s':>10} {'ratio':>6} {'Py frame s':>10} "
          f"{'ratio':>6} {'Py lists s':>10} {'ratio':>6} {'pairs/s (Py batch)':>18}")
    for t in args.threads:
        c = cpp.get(t)
        cells = [f"{t:>7}", f"{c:>8.3f}" if c else f"{'-':>8}"]
        for kind in ("batch", "frame", "lists"):
            p = python[(kind, t)]
            cells += [f"{p:>10.3f}", f"{p / c:>6.3f}" if c else f"{'-':>6}"]
        cells.append(f"{pairs / python[('batch', t)]:>18.3g}")
        print(" ".join(cells))


if __name__ == "__main__":
    main()
