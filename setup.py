"""Builds the refmatch extension with the project's CMake build.

Debian 12 has no scikit-build-core, so this setuptools build_ext configures CMake with only the
Python module enabled, builds the `_refmatch` target and copies the extension into the wheel. The
sample program (src/data/sample) is copied into the package as refmatch/data/sample.

Environment: CMAKE_BUILD_PARALLEL_LEVEL (default 2) and REFMATCH_CMAKE_ARGS (extra -D options).
"""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        target = Path(self.get_ext_fullpath(ext.name)).resolve()
        build_dir = Path(self.build_temp).resolve() / "cmake"
        build_dir.mkdir(parents=True, exist_ok=True)
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython_EXECUTABLE={sys.executable}",
            "-DPYBIND11_FINDPYTHON=ON",
            "-DREFMATCH_BUILD_PYTHON=ON",
            "-DREFMATCH_BUILD_TESTS=OFF",
            "-DREFMATCH_BUILD_BENCHMARKS=OFF",
            "-DREFMATCH_BUILD_CLI=OFF",
            "-DREFMATCH_INSTALL=OFF",
        ]
        if shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        configure += shlex.split(os.environ.get("REFMATCH_CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_refmatch",
                        "--parallel", jobs], check=True)
        built = sorted((build_dir / "python" / "refmatch").glob("_refmatch*.so"))
        if not built:
            raise RuntimeError(f"the CMake build produced no _refmatch module in {build_dir}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built[-1], target)


class BuildPyWithSample(build_py):
    def run(self) -> None:
        super().run()
        sample = ROOT / "src" / "data" / "sample"
        if sample.is_dir():
            destination = Path(self.build_lib) / "refmatch" / "data" / "sample"
            shutil.copytree(sample, destination, dirs_exist_ok=True)


setup(
    ext_modules=[CMakeExtension("refmatch._refmatch")],
    cmdclass={"build_ext": CMakeBuild, "build_py": BuildPyWithSample},
)
