"""codeautolink reads a page with an exercise and quoted, indented source.

Without book/_ext/codeautolink_compat.py the first stops the build
("pop from empty list") and the second warns ("unexpected indent"), which
``-W`` turns into a failure.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx_codeautolink")
pytest.importorskip("sphinx_exercise")

ROOT = Path(__file__).resolve().parents[2]
BASE = ["myst_parser", "sphinx_exercise", "sphinx.ext.autodoc", "sphinx_codeautolink"]

CODE = """# Tiny

```{eval-rst}
.. autoclass:: scratchnet.layers.Linear
   :members: forward
```

```python
from scratchnet.layers import Linear
layer = Linear(2, 3)
```
"""
QUOTED = """
```{literalinclude} layers.py
:language: python
:pyobject: Linear.backward
```

```python
layer.forward
```
"""
EXERCISE = """
```{exercise}
:label: ex-tiny
Call `layer.forward`.
```
"""


def build(tmp_path: Path, page: str,
          extensions: list[str]) -> subprocess.CompletedProcess:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        f"extensions = {extensions!r}\n"
        "codeautolink_concat_default = True\n")
    (src / "index.md").write_text(page)
    shutil.copy(ROOT / "src" / "scratchnet" / "layers.py", src / "layers.py")
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q",
         str(src), str(tmp_path / "out")],
        check=False, capture_output=True, text=True, timeout=300)


def test_without_the_compat_an_exercise_stops_codeautolink(tmp_path: Path) -> None:
    result = build(tmp_path, CODE + EXERCISE, BASE)
    assert result.returncode != 0
    assert "pop from empty list" in result.stderr, result.stderr


def test_without_the_compat_quoted_source_breaks_the_parse(tmp_path: Path) -> None:
    result = build(tmp_path, CODE + QUOTED, BASE)
    assert result.returncode != 0
    assert "unexpected indent" in result.stderr, result.stderr


def test_with_the_compat_the_page_builds_and_its_code_links(tmp_path: Path) -> None:
    result = build(tmp_path, CODE + QUOTED + EXERCISE, [*BASE, "codeautolink_compat"])
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "out" / "index.html").read_text()
    assert page.count('class="sphinx-codeautolink-a"') >= 2   # Linear, layer.forward
