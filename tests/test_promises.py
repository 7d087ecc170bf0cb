"""Every promise of the README's "What scratchnet promises", held by a real process.

One parametrised test per fault class of ``fault_cases.CASES``: each case
crafts its hostile input in a fresh directory, runs the real command (or the
package) in a child process under a memory limit and its own timeout, and
checks the exit status, that there is no traceback, the message (one or two
lines, naming what was typed), the JSON line, peak memory where the case
bounds it, and what must have been kept. ``python tests/fault_cases.py``
prints the same cases as a table.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fault_cases import CASES, Case

FAULT_CASES = Path(__file__).with_name("fault_cases.py")

CLASSES = {
    "data loss": "test_nothing_is_lost",
    "memory and time": "test_memory_and_waiting_are_bounded",
    "no traceback": "test_never_a_traceback",
    "messages": "test_messages_name_what_was_typed",
}


def cases(fault: str) -> list:
    return [pytest.param(c, id=c.name) for c in CASES if c.fault == fault]


def hold(case: Case, tmp_path: Path) -> None:
    """Hold ``case`` from a fresh interpreter, not from this one.

    Linux counts in a child's peak memory (``ru_maxrss``) the size of the
    process it was forked from, and this test process may hold hundreds of
    MB by now; ``fault_cases.py --case`` forks the real command from a small
    process, so each peak is the command's own.
    """
    done = subprocess.run(
        [sys.executable, str(FAULT_CASES), "--case", case.name, str(tmp_path)],
        cwd=FAULT_CASES.parent, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]


@pytest.mark.parametrize("case", cases("data loss"))
def test_nothing_is_lost(case: Case, tmp_path: Path) -> None:
    hold(case, tmp_path)


@pytest.mark.parametrize("case", cases("memory and time"))
def test_memory_and_waiting_are_bounded(case: Case, tmp_path: Path) -> None:
    hold(case, tmp_path)


@pytest.mark.parametrize("case", cases("no traceback"))
def test_never_a_traceback(case: Case, tmp_path: Path) -> None:
    hold(case, tmp_path)


@pytest.mark.parametrize("case", cases("messages"))
def test_messages_name_what_was_typed(case: Case, tmp_path: Path) -> None:
    hold(case, tmp_path)


def test_every_case_belongs_to_a_class_the_readme_summarises() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("### What scratchnet promises", 1)[1].split("\n### ", 1)[0]
    assert {c.fault for c in CASES} == set(CLASSES)
    for fault, test in CLASSES.items():
        row = [line for line in section.splitlines() if line.startswith(f"| {fault} |")]
        assert len(row) == 1 and row[0].endswith(f"| `{test}` |"), fault
        assert test in globals(), test
