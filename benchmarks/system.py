"""Machine-level rows: matrix-multiply peak, memory, the book build."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def sgemm(n: int = 2048) -> tuple[Callable[[], object], float]:
    """One float32 ``n x n`` matrix product to time, and its FLOPs.

    The fastest of these is the most this machine's BLAS can give: the
    peak that the training epochs are measured against, timed in turns
    with them.
    """
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    return (lambda: a @ b), 2.0 * n**3


def peak_training_memory(threads: int) -> dict[str, float]:
    """Peak resident memory of a fresh process that loads MNIST and trains.

    A separate process, so nothing this benchmark allocated counts.
    """
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory_probe", str(threads)],
        capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def book_build_seconds() -> dict[str, float]:
    """A clean build (empty execution cache) and a rebuild with no change.

    Both build a copy of the book's sources in a temporary folder, so the
    working tree's ``_build`` and execution cache are never touched.
    """
    with tempfile.TemporaryDirectory(prefix="scratchnet-book-") as tmp:
        copy = Path(tmp) / "book"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
            ".git", ".venv", "_build", "__pycache__", ".pytest_cache",
            ".hypothesis", "*.egg-info"))
        cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build",
               str(copy)]
        times = {}
        for key in ("book_clean_seconds", "book_cached_seconds"):
            start = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=copy)
            times[key] = time.perf_counter() - start
            if done.returncode:
                raise RuntimeError(f"book build failed ({key}):\n"
                                   f"{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return times
