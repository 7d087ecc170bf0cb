"""How a training recipe reads when printed, as the book prints ``DEFAULTS``."""

from __future__ import annotations

import dataclasses

from scratchnet.train import DEFAULTS


def test_printed_recipe_is_one_aligned_line_per_field():
    lines = str(DEFAULTS).splitlines()
    fields = dataclasses.asdict(DEFAULTS)
    assert [line.split()[0] for line in lines] == list(fields)
    width = max(map(len, fields)) + 2
    for line, (name, value) in zip(lines, fields.items()):
        assert line == f"{name:<{width}}{value}"


def test_printed_recipe_shows_a_changed_value():
    changed = dataclasses.replace(DEFAULTS, lr=0.125, hidden=(32,))
    text = str(changed)
    assert "0.125" in text and "(32,)" in text
    assert repr(changed).startswith("TrainConfig(")
