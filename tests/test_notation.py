"""One notation: a symbol the Notation page reserves is used only where it says.

``book/notation.md`` ends with "One symbol, one meaning": for each symbol that
once meant different things in different chapters, the chapters that use it
in its one meaning. A chapter whose math uses such a symbol without being
listed fails here, until it takes another symbol or is added to the list (in
the same meaning). Only the math of the prose counts: code, which follows
Python's names, does not.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from book_text import BOOK, math_symbols
from book_text import chapters as all_chapters

#: Symbols no chapter may use at all.
RETIRED = {r"\varepsilon"}


def reserved() -> dict[str, set[str]]:
    """The Notation page's "One symbol, one meaning": symbol -> chapters."""
    text = (BOOK / "notation.md").read_text(encoding="utf-8")
    section = text.split("## One symbol, one meaning", 1)[1]
    table = {}
    for symbol, chapters in re.findall(r"^- \$([^$]+)\$: (.+)$", section, re.M):
        table[symbol] = set(re.findall(r"\{doc\}`([^`]+)`", chapters))
    return table


def chapters() -> list[Path]:
    return [p for p in all_chapters() if p.stem != "notation"]


def test_the_notation_page_reserves_the_symbols_that_clashed() -> None:
    assert {"T", "Y", "Z", "W", "p", r"\sigma", r"\epsilon"} <= set(reserved())


def misuses(stem: str, text: str) -> list[str]:
    """The reserved or retired symbols that chapter ``stem`` must not use."""
    used = math_symbols(text)
    return sorted({symbol for symbol, where in reserved().items()
                   if symbol in used and stem not in where} | (used & RETIRED))


@pytest.mark.parametrize("chapter", chapters(), ids=lambda p: p.stem)
def test_a_chapter_uses_a_reserved_symbol_only_where_the_page_lists_it(
        chapter: Path) -> None:
    wrong = misuses(chapter.stem, chapter.read_text(encoding="utf-8"))
    assert not wrong, (
        f"{chapter.name} uses {', '.join(f'${s}$' for s in wrong)}, which "
        "book/notation.md reserves for one meaning in other chapters (or "
        "retires): choose another symbol, or list the chapter under 'One "
        "symbol, one meaning' if it means the same")


def test_every_listed_chapter_really_uses_the_symbol() -> None:
    """The list stays true: a chapter that stopped using a symbol leaves it."""
    stale = {symbol: sorted(where - {c.stem for c in chapters()
                                     if symbol in math_symbols(c.read_text())})
             for symbol, where in reserved().items()}
    assert not {s: w for s, w in stale.items() if w}


def test_math_in_code_does_not_count_and_math_in_an_exercise_does() -> None:
    text = (
        "An $x$ here.\n\n```{code-cell} ipython3\nprint('$T$')\n```\n\n"
        "```{exercise}\n:label: e\n\nFind $\\sigma(z)$ and $\\text{Tea}$.\n```\n"
        "$$\nY = X W\n$$ (eq)\n")
    assert math_symbols(text) == {"x", r"\sigma", "z", "Y", "X", "W"}


def test_a_clashing_use_fails() -> None:
    """$T$ for a temperature, or a retired epsilon, in a chapter not listed."""
    assert misuses("training", "Divide by a temperature $T > 0$.") == ["T"]
    assert misuses("softmax", "Smooth by $\\varepsilon$.") == [r"\varepsilon"]
    assert misuses("softmax", "Divide by a temperature $\\tau > 0$.") == []
