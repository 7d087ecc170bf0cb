"""scratchnet.notebook.glue: every glued value is printed; only the book keeps it."""

from __future__ import annotations

import myst_nb
import pytest
from IPython.display import Markdown

from scratchnet import notebook


@pytest.fixture
def myst_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    calls: list[tuple] = []
    monkeypatch.setattr(myst_nb, "glue", lambda *a, **k: calls.append((a, k)))
    return calls


def test_glue_prints_the_value_and_leaves_no_record_outside_the_book(
        capsys, monkeypatch, myst_calls) -> None:
    monkeypatch.delenv(notebook.BOOK_BUILD_ENV, raising=False)
    notebook.glue("acc", "98.3%")
    assert capsys.readouterr().out == "acc: 98.3%\n"
    assert myst_calls == []            # Jupyter could not draw the record


def test_glue_hands_the_value_to_myst_nb_in_the_book_build(
        capsys, monkeypatch, myst_calls) -> None:
    monkeypatch.setenv(notebook.BOOK_BUILD_ENV, "1")
    notebook.glue("acc", "98.3%")
    assert capsys.readouterr().out == "acc: 98.3%\n"
    assert myst_calls == [(("acc", "98.3%"), {"display": False})]


def test_glued_markdown_prints_as_its_text(capsys, monkeypatch) -> None:
    monkeypatch.delenv(notebook.BOOK_BUILD_ENV, raising=False)
    notebook.glue("table", Markdown("| a |\n|---|"))
    assert capsys.readouterr().out == "table: | a |\n|---|\n"
