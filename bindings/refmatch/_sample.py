"""The bundled sample program (about 2,000 references, 50 products, 500 open opportunities)."""

from __future__ import annotations

import os
from pathlib import Path

from refmatch._refmatch import Program, load_program


def sample_program_dir() -> Path:
    """The directory of the bundled sample program.

    Looked up in this order: ``$REFMATCH_SAMPLE_DIR``, ``refmatch/data/sample`` inside the
    installed package (pip and the CMake build tree put it there), then ``src/data/sample`` of a
    source checkout this package lives in.
    """
    candidates = []
    if os.environ.get("REFMATCH_SAMPLE_DIR"):
        candidates.append(Path(os.environ["REFMATCH_SAMPLE_DIR"]))
    here = Path(__file__).resolve().parent
    candidates.append(here / "data" / "sample")
    candidates.extend(parent / "src" / "data" / "sample" for parent in here.parents)
    for candidate in candidates:
        if (candidate / "references.csv").is_file() or (candidate / "references.json").is_file():
            return candidate
    raise FileNotFoundError(
        "the bundled sample program was not found (looked in: "
        + ", ".join(str(c) for c in candidates[:2])
        + "); set REFMATCH_SAMPLE_DIR to its directory"
    )


def sample_program() -> Program:
    """Loads the bundled sample program (a fresh copy on every call)."""
    return load_program(sample_program_dir())
