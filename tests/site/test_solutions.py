"""Every solution's code ran: it is an executed cell, with its output, folded.

A solution's code used to be a plain code block that never ran, so it showed
no output and could not be trusted. sphinx-exercise's gated form
(``solution-start`` ... ``solution-end``) puts executed cells inside the
folded solution; these checks read the built pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from site_helpers import toc_files

pytestmark = pytest.mark.site

CODE = "div.highlight"


def solutions(site: Path, name: str) -> list:
    html = (site / f"{name}.html").read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser").select("div.solution")


def title(solution) -> str:
    heading = solution.select_one(".admonition-title")
    return heading.get_text(" ", strip=True) if heading else solution.get("id", "?")


@pytest.mark.parametrize("name", toc_files())
def test_code_in_a_solution_is_an_executed_cell_with_output(site: Path,
                                                            name: str) -> None:
    never_ran, silent = [], []
    for solution in solutions(site, name):
        for block in solution.select(CODE):
            cell = block.find_parent("div", class_="cell")
            if cell is None:
                never_ran.append(title(solution))
            elif not cell.select_one("div.cell_output"):
                silent.append(title(solution))
    assert not never_ran, f"{name}: code that never ran in {sorted(set(never_ran))}"
    assert not silent, (f"{name}: an executed cell shows no output in "
                        f"{sorted(set(silent))}")


@pytest.mark.parametrize("name", toc_files())
def test_solutions_stay_folded(site: Path, name: str) -> None:
    open_ = [title(s) for s in solutions(site, name)
             if "dropdown" not in s.get("class", [])]
    assert not open_, f"{name}: solutions shown unfolded: {open_}"


def test_the_book_has_solutions_that_ran(site: Path) -> None:
    """The checks above pass on a book without solutions too; this one
    fails unless executed solutions are really there."""
    ran = sum(bool(s.select("div.cell div.cell_output"))
              for name in toc_files() for s in solutions(site, name))
    assert ran >= 30, f"only {ran} solutions hold executed code"
