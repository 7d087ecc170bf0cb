"""``scratchnet.notebook``: the numbers and verdicts a chapter quotes."""

from __future__ import annotations

import pytest

from scratchnet import notebook
from scratchnet.notebook import agreement, glue, speed_verdict


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


def test_the_saved_model_is_one_level_up_from_the_books_folder(
        tmp_path, monkeypatch) -> None:
    (tmp_path / "_config.yml").write_text("title: x\n")
    (tmp_path / "book").mkdir()
    monkeypatch.chdir(tmp_path / "book")
    path = notebook.saved_model_path()
    assert path.as_posix() == "../" + notebook.SAVED_MODEL
    assert path.resolve() == tmp_path / notebook.SAVED_MODEL


def test_a_downloaded_chapter_keeps_the_model_under_its_own_folder(
        tmp_path, monkeypatch) -> None:
    (tmp_path / "book").mkdir()            # a folder named book, not the book's
    monkeypatch.chdir(tmp_path / "book")
    assert notebook.saved_model_path().as_posix() == notebook.SAVED_MODEL


def test_the_build_declares_the_file_the_chapters_save() -> None:
    """``_config.yml`` spells the path for the build; the chapters take it
    from ``SAVED_MODEL``. Were they to drift, the build would wait for a file
    that no chapter writes."""
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((root / "_config.yml").read_text())
    declared = config["sphinx"]["config"]["chapter_artifacts"]
    assert notebook.SAVED_MODEL in declared
    assert declared[notebook.SAVED_MODEL]["made_by"] == "book/training"


def test_agreement_says_exactly_for_no_difference_and_the_size_otherwise() -> None:
    assert agreement(0.0) == "exactly"
    assert agreement(2.4e-7) == "to 2.4e-07, float32 rounding"
    assert agreement(3e-12, "float64 rounding") == "to 3.0e-12, float64 rounding"
    with pytest.raises(ValueError):
        agreement(float("nan"))
