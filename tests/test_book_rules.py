"""The book's rules about comparisons, held on the chapters' text.

- A sentence that compares two computed numbers ("ahead of", "better than")
  takes its verdict from the code (a glued word from ``scratchnet.compare``
  or a glued comparison), or says that it reports one run.
- The verdict "no clear difference" is never typed: only ``verdict`` says it.
- A time quoted for a whole chapter is measured in its last code cell, so it
  includes the exercises.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest
from book_text import chapters, sentences

from scratchnet.compare import VERDICTS

GLUE = re.compile(r"\{glue:(?:text|md)\}`([^`:]+)(?::[^`]*)?`")
#: Words that rank one computed number against another.
COMPARES = re.compile(
    r"\b(?:better|worse|higher|lower|faster|slower) than\b"
    r"|\bahead of\b|\bbehind\b|\boutperforms?\b|\bbeats?\b|\bmatters? more\b",
    re.I)
#: A sentence that reports what one run showed, and says so.
ONE_RUN = re.compile(r"\bone run\b|\bthis run\b|\bone seed\b|\bseed 0\b"
                     r"|\bsingle run\b|\bone timing\b", re.I)
#: Glued words that carry a verdict computed by the chapter.
VERDICT_KEY = re.compile(r"_(?:word|verdict|vs_\w+|move|change|same)$|_vs_")


def unsupported_comparisons(text: str) -> list[str]:
    """Sentences of ``text`` that rank two glued numbers with a typed word."""
    found = []
    for sentence in sentences(text):
        keys = GLUE.findall(sentence)
        if (len(keys) >= 2 and COMPARES.search(sentence)
                and not ONE_RUN.search(sentence)
                and not any(VERDICT_KEY.search(k) for k in keys)):
            found.append(sentence)
    return found


@pytest.mark.parametrize("chapter", chapters(), ids=lambda p: p.stem)
def test_a_comparison_of_computed_numbers_takes_a_computed_verdict(
        chapter: Path) -> None:
    bad = unsupported_comparisons(chapter.read_text(encoding="utf-8"))
    assert not bad, (f"{chapter.name}: a typed verdict between computed numbers "
                     "(glue one from scratchnet.compare, or say it is one run): "
                     + " | ".join(bad))


@pytest.mark.parametrize("chapter", chapters(), ids=lambda p: p.stem)
def test_no_chapter_types_the_tie_verdict(chapter: Path) -> None:
    text = " ".join(sentences(chapter.read_text(encoding="utf-8"))).lower()
    typed = re.search(r'(?<!")' + VERDICTS[-1] + r'(?!")', text)  # quoted: named
    assert not typed, (
        f"{chapter.name} types '{VERDICTS[-1]}': glue compare.verdict's word")


@pytest.mark.parametrize("chapter", chapters(), ids=lambda p: p.stem)
def test_a_chapter_time_is_measured_after_the_exercises(chapter: Path) -> None:
    cells = [c for c in jupytext.read(chapter).cells if c.cell_type == "code"] \
        if chapter.read_text(encoding="utf-8").startswith("---\njupytext") else []
    timed = [i for i, c in enumerate(cells)
             if re.search(r"glue\(\"\w*_chapter_seconds\"", c.source)]
    assert all(i == len(cells) - 1 for i in timed), (
        f"{chapter.name}: the chapter's time is glued before its last cell")


def test_the_rules_catch_what_the_book_once_said() -> None:
    """Two sentences the book printed before these rules, and their fixes."""
    old = ("Every method that carries a velocity is at least "
           "{glue:text}`bt_opt_lead` ahead of plain SGD, while they differ by "
           "{glue:text}`bt_opt_spread`.")
    assert unsupported_comparisons(old)
    fixed = ("Momentum against plain SGD: {glue:text}`bt_opt_momentum_vs_sgd` "
             "({glue:text}`bt_opt_momentum` against {glue:text}`bt_opt_sgd`).")
    assert not unsupported_comparisons(fixed)
    one_run = ("In this one run, {glue:text}`a` is better than {glue:text}`b`.")
    assert not unsupported_comparisons(one_run)
