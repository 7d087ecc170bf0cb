"""``make chapter`` (book/run_chapter.py): the saved notebook carries every
glued value, and the run reports its progress cell by cell."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book"))

import run_chapter  # noqa: E402

from scratchnet.notebook import glue_as_text, glued_values  # noqa: E402

CHAPTER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A tiny chapter

```{code-cell} ipython3
from scratchnet.notebook import glue
glue("answer", f"{6 * 7}%")
```

The answer is {glue:text}`answer`.

```{code-cell} ipython3
print("trained")
```
"""


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tiny.md").write_text(CHAPTER)
    monkeypatch.setattr(run_chapter, "BOOK", tmp_path)
    monkeypatch.setattr(run_chapter, "OUT", tmp_path / "chapters")
    monkeypatch.setattr(run_chapter, "missing_makers", lambda name: [])
    return tmp_path


def test_the_saved_notebook_shows_every_glued_value(book: Path, capsys) -> None:
    assert run_chapter.main(["tiny"]) == 0
    saved = nbformat.read(book / "chapters" / "tiny.ipynb", as_version=4)
    outputs = [out for cell in saved.cells for out in cell.get("outputs", [])]
    assert {"output_type": "stream", "name": "stdout",
            "text": "answer: 42%\n"} in [dict(o) for o in outputs]
    # No glue record is left: Jupyter could not draw one.
    assert not any(o.get("metadata", {}).get("scrapbook") for o in outputs)
    nbformat.validate(saved)


def test_the_run_reports_each_cell_as_it_finishes(book: Path, capsys) -> None:
    assert run_chapter.main(["tiny"]) == 0
    out = capsys.readouterr().out
    assert "tiny: cell 1/2 done in" in out
    assert "tiny: cell 2/2 done in" in out
    assert "[cell 1] glue answer = '42%'" in out


def test_a_long_cell_is_reported_while_it_runs(capsys) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    progress = run_chapter.Progress(nb, "slow", every=0.05)
    progress.start()
    time.sleep(0.3)
    progress.executed()
    progress.close()
    out = capsys.readouterr().out
    assert "slow: cell 1/1 still running" in out
    assert out.rstrip().endswith(")") and "slow: cell 1/1 done in" in out


def test_glue_as_text_turns_records_into_lines_and_keeps_the_rest() -> None:
    record = nbformat.v4.new_output(
        "display_data", data={"application/papermill.record/text/plain": "'98.3%'"},
        metadata={"scrapbook": {"name": "acc",
                                "mime_prefix": "application/papermill.record/"}})
    markdown = nbformat.v4.new_output(
        "display_data", data={"application/papermill.record/text/markdown": "| a |"},
        metadata={"scrapbook": {"name": "table",
                                "mime_prefix": "application/papermill.record/"}})
    plain = nbformat.v4.new_output("stream", name="stdout", text="hello\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "x", outputs=[record, markdown, plain])])
    assert glued_values(nb) == {"acc": "98.3%", "table": "| a |"}
    texts = [o.get("text") for o in glue_as_text(nb).cells[0].outputs]
    assert texts == ["acc: 98.3%\n", "table: | a |\n", "hello\n"]
    assert nb.cells[0].outputs[0] is record           # the input is unchanged
