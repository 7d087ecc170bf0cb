"""The page exports (book/_ext/*_export.py) write their files at the end of
an HTML build that includes their page, and only then (book/_ext/site_export.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
pytest.importorskip("sphinx")

import playground_export  # noqa: E402


def fake_app(outdir: Path, docs: set[str], fmt: str = "html") -> SimpleNamespace:
    """Enough of Sphinx's app for ``setup`` and the build-finished handler."""
    handlers = []
    return SimpleNamespace(
        outdir=str(outdir), builder=SimpleNamespace(format=fmt),
        env=SimpleNamespace(found_docs=docs), handlers=handlers,
        connect=lambda event, fn: handlers.append((event, fn)))


def finish(app: SimpleNamespace, exception: Exception | None = None) -> None:
    for event, fn in app.handlers:
        assert event == "build-finished"
        fn(app, exception)


def test_the_playground_files_are_written_after_an_html_build(tmp_path):
    app = fake_app(tmp_path, {"book/playground"})
    playground_export.setup(app)
    finish(app)
    target = tmp_path / "_static" / "playground"
    assert (target / "data.js").read_text().startswith("// The playground's data")
    refs = json.loads((target / "trajectories.json").read_text())
    assert len(refs["trajectories"]) == 6


@pytest.mark.parametrize(("docs", "fmt", "exception"), [
    (set(), "html", None),                               # page not in the toc
    ({"book/playground"}, "latex", None),                # not the HTML build
    ({"book/playground"}, "html", RuntimeError("boom")),  # the build failed
])
def test_nothing_is_written_otherwise(tmp_path, docs, fmt, exception):
    app = fake_app(tmp_path, docs, fmt)
    playground_export.setup(app)
    finish(app, exception)
    assert not (tmp_path / "_static").exists()
