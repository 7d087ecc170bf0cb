"""The build's rule for a file one chapter makes and another uses.

``book/_ext/chapter_artifacts.py`` runs the maker before its users, again when
its file is missing, and re-executes a user whose cached outputs came from
another version of the file. These tests drive its two event handlers with a
real execution cache (jupyter-cache) and a stand-in for Sphinx's app.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from scratchnet import notebook

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
jupyter_cache = pytest.importorskip("jupyter_cache")
sys.modules.pop("chapter_artifacts", None)
import chapter_artifacts  # noqa: E402

MODEL = notebook.SAVED_MODEL
DECLARED = {MODEL: {"made_by": "book/training", "used_by": ["book/interactive"]}}


def fake_app(root: Path) -> SimpleNamespace:
    config = SimpleNamespace(chapter_artifacts=DECLARED, nb_execution_mode="cache",
                             nb_execution_cache_path="_build/.jupyter_cache")
    env = SimpleNamespace(doc2path=lambda name: str(root / f"{name}.md"))
    return SimpleNamespace(config=config, env=env, srcdir=str(root),
                           doctreedir=str(root / "_build" / ".doctrees"))


def cache_chapter(root: Path, docname: str) -> None:
    """Put a chapter's executed outputs into the execution cache."""
    source = root / f"{docname}.md"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(docname)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"'{docname}'")])
    cache = jupyter_cache.get_cache(str(root / "_build" / ".jupyter_cache"))
    cache.cache_notebook_bundle(
        jupyter_cache.base.CacheBundleIn(nb, str(source)), check_validity=False)


def cached_chapters(root: Path) -> set[str]:
    cache = jupyter_cache.get_cache(str(root / "_build" / ".jupyter_cache"))
    return {Path(r.uri).relative_to(root).with_suffix("").as_posix()
            for r in cache.list_cache_records()}


def write_model(root: Path, content: bytes) -> None:
    path = root / MODEL
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def test_the_maker_is_read_before_its_users_whatever_their_names(tmp_path: Path) -> None:
    write_model(tmp_path, b"weights")
    docnames = ["book/activations", "book/interactive", "book/training"]
    chapter_artifacts._order_and_refresh(fake_app(tmp_path), None, docnames)
    assert docnames.index("book/training") < docnames.index("book/interactive")
    assert sorted(docnames) == ["book/activations", "book/interactive", "book/training"]


def test_a_changed_maker_makes_its_users_check_the_file(tmp_path: Path) -> None:
    write_model(tmp_path, b"weights")
    docnames = ["book/mnist", "book/training"]
    chapter_artifacts._order_and_refresh(fake_app(tmp_path), None, docnames)
    assert docnames == ["book/mnist", "book/training", "book/interactive"]


def test_a_missing_file_makes_the_cached_maker_run_again(tmp_path: Path) -> None:
    for name in ("book/training", "book/interactive", "book/mnist"):
        cache_chapter(tmp_path, name)
    docnames: list[str] = []                   # nothing changed, all cached
    chapter_artifacts._order_and_refresh(fake_app(tmp_path), None, docnames)
    assert docnames == ["book/training", "book/interactive"]
    assert cached_chapters(tmp_path) == {"book/interactive", "book/mnist"}


def test_a_user_runs_again_exactly_when_the_file_changed(tmp_path: Path) -> None:
    app = fake_app(tmp_path)
    write_model(tmp_path, b"first weights")
    cache_chapter(tmp_path, "book/interactive")
    chapter_artifacts._check_before_execution(app, "book/interactive", [""])
    assert cached_chapters(tmp_path) == set()      # never ran with this file

    cache_chapter(tmp_path, "book/interactive")    # ... so it executes
    chapter_artifacts._check_before_execution(app, "book/interactive", [""])
    assert cached_chapters(tmp_path) == {"book/interactive"}   # same file

    write_model(tmp_path, b"retrained weights")
    chapter_artifacts._check_before_execution(app, "book/interactive", [""])
    assert cached_chapters(tmp_path) == set()


def test_other_chapters_are_left_alone(tmp_path: Path) -> None:
    cache_chapter(tmp_path, "book/mnist")
    chapter_artifacts._check_before_execution(fake_app(tmp_path), "book/mnist", [""])
    assert cached_chapters(tmp_path) == {"book/mnist"}


def test_a_user_whose_file_was_never_made_fails_with_a_clear_error(
    tmp_path: Path
) -> None:
    from sphinx.errors import ExtensionError

    with pytest.raises(ExtensionError, match="book/training should have made"):
        chapter_artifacts._check_before_execution(
            fake_app(tmp_path), "book/interactive", [""])
