"""The Automatic differentiation chapter says what its build computed.

Its prose draws conclusions ("same seed, same arithmetic, same network")
from glued results; these tests fail the site when the results say
otherwise, so the sentences can never outlive the facts behind them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from site_helpers import built_page

pytestmark = pytest.mark.site


def page_text(site: Path) -> str:
    html = built_page(site, "book/autograd").read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_the_engine_gives_the_layers_gradients_bit_for_bit(site: Path) -> None:
    text = page_text(site)
    assert "In float32, every entry is equal, bit for bit." in text


def test_training_with_the_engine_gives_the_same_network(site: Path) -> None:
    text = page_text(site)
    assert "final weights are identical, bit for bit" in text
    found = re.search(r"reads (\d+\.\d+)% of the test digits, and the one "
                      r"trained with the engine (\d+\.\d+)%", text)
    assert found and found.group(1) == found.group(2), found
