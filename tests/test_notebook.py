"""``scratchnet.notebook``: the numbers and verdicts a chapter quotes."""

from __future__ import annotations

import pytest

from scratchnet import notebook
from scratchnet.notebook import glue, speed_verdict


def test_glue_shows_the_value_for_a_notebook_reader(capsys, monkeypatch) -> None:
    monkeypatch.delenv(notebook.BOOK_BUILD_ENV, raising=False)
    glue("answer", "42%")
    assert capsys.readouterr().out == "answer: 42%\n"


def test_glue_shows_markdown_as_its_source(capsys, monkeypatch) -> None:
    from IPython.display import Markdown

    monkeypatch.delenv(notebook.BOOK_BUILD_ENV, raising=False)
    glue("table", Markdown("| a |\n| - |"))
    assert capsys.readouterr().out == "table: | a |\n| - |\n"


@pytest.fixture
def myst_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    import myst_nb

    calls: list[tuple] = []
    monkeypatch.setattr(myst_nb, "glue", lambda *a, **k: calls.append((a, k)))
    return calls


def test_glue_leaves_no_record_outside_the_book_build(
        capsys, monkeypatch, myst_calls) -> None:
    monkeypatch.delenv(notebook.BOOK_BUILD_ENV, raising=False)
    glue("acc", "98.3%")
    assert capsys.readouterr().out == "acc: 98.3%\n"
    assert myst_calls == []        # Jupyter could not draw the record


def test_glue_hands_the_value_to_myst_nb_in_the_book_build(
        capsys, monkeypatch, myst_calls) -> None:
    """The page shows the number in its prose, not as ``acc: ...`` lines."""
    monkeypatch.setenv(notebook.BOOK_BUILD_ENV, "1")
    glue("acc", "98.3%")
    assert capsys.readouterr().out == ""
    assert myst_calls == [(("acc", "98.3%"), {"display": False})]


@pytest.mark.parametrize(("before", "after", "word"), [
    (3.0, 1.0, "3.0x faster"),
    (1.0, 2.5, "2.5x slower"),
    (1.0, 1.05, "about as fast"),
    (1.05, 1.0, "about as fast"),
    (1.1, 1.0, "1.1x faster"),
])
def test_speed_verdict_follows_the_measurement(before: float, after: float,
                                               word: str) -> None:
    assert speed_verdict(before, after) == word


def test_speed_verdict_refuses_a_time_that_was_not_measured() -> None:
    with pytest.raises(ValueError, match="positive"):
        speed_verdict(0.0, 1.0)
