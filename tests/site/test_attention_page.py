"""The Attention chapter says what its build computed.

Its prose draws conclusions from glued results ("agree with finite
differences", "a gap counts only when...", the full recipe's accuracy);
these tests fail the site when the page says otherwise, so the sentences
can never outlive the facts behind them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from site_helpers import ROOT, built_page

from scratchnet.compare import VERDICTS

pytestmark = pytest.mark.site


def page_text(site: Path) -> str:
    html = built_page(site, "book/attention").read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_the_derived_backward_passes_agree_with_both_checks(site: Path) -> None:
    found = re.search(r"finite differences to a relative error of at most "
                      r"(\S+), the accuracy of central differences, and with "
                      r"the engine to at most (\S+), float64 rounding", page_text(site))
    assert found, "the sentence on the two checks is missing"
    assert float(found.group(1)) < 1e-6 and float(found.group(2)) < 1e-12, found.group(0)


def test_the_page_gives_the_recorded_recipe_accuracy(site: Path) -> None:
    """The full recipe's number is the one of ``book/data/vit-recipe.json``."""
    run = json.loads((ROOT / "book" / "data" / "vit-recipe.json").read_text())["result"]
    shown = f"{100 * run['test_accuracy']:.2f}%"
    assert f"reached {shown} test accuracy" in page_text(site)


def test_the_comparison_takes_its_words_from_the_verdict(site: Path) -> None:
    text = page_text(site)
    words = re.findall(r"(?:against the MLP|against the CNN): ([a-z ]+?)[;.]", text)
    assert len(words) == 4 and set(words) <= set(VERDICTS), words
    accuracy = re.search(r"the transformer reads (\d+\.\d+)% ± (\d+\.\d+) of the test",
                         text)
    assert accuracy and 10 < float(accuracy.group(1)) <= 100, "no ViT accuracy shown"
