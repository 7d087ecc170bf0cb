"""The self-check directive (book/_ext/self_check.py), on a tiny built book.

Each build is a real Sphinx + myst-nb build of a MyST notebook executed in a
fresh kernel, so the answer a self-check judges against is one a code cell
glued, exactly as in the book.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXT = ROOT / "book" / "_ext"
sys.path.insert(0, str(EXT))
pytest.importorskip("myst_nb")

from self_check import make_answer, parse_number  # after the path insert

CONF = f"""
import sys
sys.path.insert(0, {str(EXT)!r})
extensions = ["myst_nb", "self_check"]
nb_execution_mode = "force"
nb_execution_raise_on_error = True
exclude_patterns = ["_build"]
"""

HEADER = """\
---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
# Tiny
"""

GOOD = HEADER + """
```{code-cell} ipython3
from myst_nb import glue
x, w = [1.0, 2.0], [0.5, 0.25]
glue("tiny_dot", f"{sum(a * b for a, b in zip(x, w)):.2f}", display=False)
glue("tiny_acc", f"{100 * 983 / 1000:.1f}%", display=False)
glue("tiny_pick", "ReLU", display=False)
```

```{self-check} What is the dot product $x \\cdot w$?
:answer: tiny_dot
:tolerance: 0.01
```

```{self-check} What accuracy did it reach?
:answer: tiny_acc
:tolerance: 1%
```

```{self-check} Which activation is zero for every negative input?
:answer: tiny_pick
:choices: Sigmoid | ReLU | Tanh
```
"""


def build(tmp_path: Path, page: str) -> subprocess.CompletedProcess:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(CONF)
    (src / "index.md").write_text(page)
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q",
         str(src), str(tmp_path / "out")],
        check=False, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("self_check")
    result = build(tmp, GOOD)
    assert result.returncode == 0, result.stderr
    return (tmp / "out" / "index.html").read_text()


def forms(page: str) -> list[str]:
    return re.findall(r"<form [^>]*data-self-check[^>]*>.*?</form>", page, re.DOTALL)


def test_each_self_check_is_a_form_with_an_input_and_the_contract(page: str) -> None:
    checks = forms(page)
    assert len(checks) == 3
    for form in checks:
        assert "<input" in form
        assert "data-self-check-reveal" in form
        assert "data-self-check-answer" in form
        assert 'aria-live="polite"' in form
        label = re.search(r'<label class="self-check-label" for="([^"]+)"', form)
        if label:     # text answers: the input has a label
            assert f'id="{label.group(1)}"' in form


def test_the_answer_is_the_glued_value_and_the_tolerance_is_stated(page: str) -> None:
    dot, acc, pick = forms(page)
    assert 'data-answer="1.00"' in dot           # 1*0.5 + 2*0.25
    assert 'data-tolerance="0.01"' in dot and 'data-relative="false"' in dot
    assert "within \u00b10.01" in html.unescape(dot)
    assert 'data-answer="98.3%"' in acc
    assert 'data-relative="true"' in acc
    assert "within 1% of the answer" in html.unescape(acc)
    assert 'data-kind="choice"' in pick and 'data-answer="ReLU"' in pick
    assert pick.count('type="radio"') == 3


def test_the_question_keeps_its_math(page: str) -> None:
    assert "x \\cdot w" in forms(page)[0]


def test_the_script_and_style_ship_with_the_page(page: str, ) -> None:
    assert "_static/self-check/self-check.js" in page
    assert "_static/self-check/self-check.css" in page


def test_a_missing_glue_key_stops_the_build_and_names_the_key(tmp_path: Path) -> None:
    result = build(tmp_path, GOOD.replace(":answer: tiny_acc", ":answer: tiny_acc_typo"))
    assert result.returncode != 0
    assert "'tiny_acc_typo'" in result.stderr
    assert "not a glue key" in result.stderr


def test_a_glued_answer_outside_its_choices_stops_the_build(tmp_path: Path) -> None:
    result = build(tmp_path, GOOD.replace("Sigmoid | ReLU | Tanh", "Sigmoid | Tanh"))
    assert result.returncode != 0
    assert "'ReLU' is not one of the choices" in result.stderr


@pytest.mark.parametrize("text, expected", [
    ("98.3%", (98.3, True, 1)), ("60,000", (60000.0, False, 0)),
    ("1.2e-07", (1.2e-07, False, 8)), ("\u22120.25", (-0.25, False, 2)),
    ("3 ms", (3.0, False, 0)), ("ReLU", None), ("2.1x", (2.1, False, 1)),
])
def test_parse_number_reads_what_the_chapters_glue(text, expected) -> None:
    assert parse_number(text) == expected


def test_without_a_tolerance_every_shown_digit_must_agree() -> None:
    answer = make_answer("98.3%", None, None)
    assert answer.tolerance == pytest.approx(0.05) and answer.percent
    assert make_answer("1.2e-07", None, None).tolerance == pytest.approx(0.5e-8)


def test_a_bad_tolerance_is_refused_with_an_example() -> None:
    with pytest.raises(ValueError, match="e.g. 0.01 or 1%"):
        make_answer("0.5", "about", None)


ADMONITION_FORM = HEADER + """
```{code-cell} ipython3
from myst_nb import glue
glue("tiny_dot", "1.00", display=False)
```

```{admonition} What is the dot product $x \\\\cdot w$?
:class: self-check
:answer: tiny_dot
:tolerance: 0.01
```

```{admonition} A plain note stays a note
:class: tip
Nothing to check here.
```
"""


def test_an_admonition_of_class_self_check_is_a_self_check(tmp_path: Path) -> None:
    """The chapters' form: Jupyter Lab renders it as a note with the question
    (it knows no {self-check}); the book renders the same widget."""
    result = build(tmp_path, ADMONITION_FORM)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "out" / "index.html").read_text()
    (check,) = forms(page)
    assert 'data-answer="1.00"' in check and "x \\cdot w" in check
    note = re.search(r'<div class="([^"]*)">\s*<p class="admonition-title">'
                     r'A plain note stays a note', page)
    assert note and {"admonition", "tip"} <= set(note.group(1).split())


def test_self_check_options_on_a_plain_admonition_stop_the_build(tmp_path: Path) -> None:
    result = build(tmp_path, ADMONITION_FORM.replace(":class: self-check\n", ""))
    assert result.returncode != 0
    assert "add :class: self-check" in result.stderr
