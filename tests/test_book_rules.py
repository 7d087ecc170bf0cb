"""The book's rules about comparisons, held on the chapters' text.

- A sentence that compares two computed numbers ("ahead of", "better than")
  takes its verdict from the code (a glued word from ``scratchnet.compare``
  or a glued comparison), or says that it reports one run.
- The verdict "no clear difference" is never typed: only ``verdict`` says it.
- A time quoted for a whole chapter is measured in its last code cell, so it
  includes the exercises.
- No word is printed twice in a row ("the the"), also where a link to a
  chapter puts that chapter's title after a word ("of the {doc}`x`" with x
  titled "The ...").
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest
from book_text import chapters, prose, sentences

from scratchnet.compare import VERDICTS

#: A chapter's title: its first level-1 heading.
TITLE = re.compile(r"^# (.+)$", re.M)
#: A MyST role, ``{name}`target``` or ``{name}`text <target>```.
ROLE = re.compile(r"\{([a-z:-]+)\}`([^`]*)`")
#: What stands in for a value the reader sees but the source does not hold.
PLACEHOLDERS = {"glue": "GLUED", "numref": "REF", "eq": "REF", "ref": "REF",
                "cite": "CITED"}
DOUBLED = re.compile(r"\b([A-Za-z]+) \1\b", re.I)
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


def chapter_titles() -> dict[str, str]:
    """Each chapter's name (``better``) and its title, as {doc} links show it."""
    titles = {}
    for path in chapters():
        title = TITLE.search(path.read_text(encoding="utf-8"))
        if title:
            titles[path.stem] = title.group(1).strip()
    return titles


def reader_text(text: str, titles: dict[str, str]) -> list[str]:
    """The prose of ``text`` as a reader sees its words, one block per item.

    Links to chapters become their titles and explicit link texts their text;
    glued values, references, citations, math and inline code become one
    placeholder word each (the source does not hold what they show). A block
    is a paragraph, split where the indentation changes (a definition list's
    term and its definition are two blocks).
    """
    def shown(match: re.Match[str]) -> str:
        role, body = match.groups()
        explicit = re.fullmatch(r"(.*?)\s*<([^>]+)>", body, re.S)
        if explicit:
            return explicit.group(1)
        if role == "doc":
            return titles.get(body.split("/")[-1], body)
        return PLACEHOLDERS.get(role.split(":")[0], body)

    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", " MATH ", prose(text), flags=re.S)
    text = ROLE.sub(shown, text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)      # [text](url)
    text = re.sub(r"`[^`]*`", " CODE ", text)
    text = re.sub(r"[*_]", "", text)
    blocks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        block: list[str] = []
        indent = None
        for line in paragraph.splitlines():
            here = len(line) - len(line.lstrip())
            if block and here != indent:
                blocks.append(" ".join(block))
                block = []
            block.append(line.strip())
            indent = here
        if block:
            blocks.append(" ".join(block))
    return [" ".join(b.split()) for b in blocks]


def doubled_words(text: str, titles: dict[str, str]) -> list[str]:
    """Places where the reader would see one word twice in a row."""
    found = []
    for block in reader_text(text, titles):
        for match in DOUBLED.finditer(block):
            if match.group(1) not in {*PLACEHOLDERS.values(), "MATH", "CODE"}:
                found.append(block[max(0, match.start() - 40):match.end() + 20])
    return found


@pytest.mark.parametrize("chapter", chapters(), ids=lambda p: p.stem)
def test_no_word_is_printed_twice_in_a_row(chapter: Path) -> None:
    doubled = doubled_words(chapter.read_text(encoding="utf-8"), chapter_titles())
    assert not doubled, f"{chapter.name}: a word twice in a row: {doubled}"


def test_the_doubled_word_rule_sees_what_a_link_prints() -> None:
    titles = {"seed-notebooks": "The classic from-scratch networks, reproduced"}
    old = "The classic recipe of the {doc}`seed-notebooks` chapter."
    found = doubled_words(old, titles)
    assert len(found) == 1 and "of the The classic" in found[0], found
    assert doubled_words("They   they\nhelp.", titles)
    fixed = "The recipe that {doc}`seed notebooks <seed-notebooks>` reproduce."
    assert not doubled_words(fixed, titles)
    glossary = "dropout\n  Dropping units.\n\nearly stopping\n  Stopping early."
    assert not doubled_words(glossary, titles)
    assert not doubled_words("{glue:text}`a` {glue:text}`b` and $x$ $y$", titles)
