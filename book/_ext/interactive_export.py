"""Put the trained network and some test digits into the built site.

The "Draw a digit" page (``book/interactive``) runs the book's MLP in the
browser, from ``_static/interactive/model.json`` and ``samples.json``. They
are build products, not sources, so they are not in the repository: when the
HTML build has finished, this extension exports the model the Training chapter
saved into the output directory. Which file that is, ``_config.yml`` declares
under ``chapter_artifacts`` (the ``chapter_artifacts`` extension makes sure the
Training chapter has written it before the page executes).

Why at the end of the build, into the output: notebooks may come from the
execution cache, in which case no cell runs, so a cell cannot be trusted to
write the files; and by the end every chapter that executes has run, so the
model is the one the book just trained.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import site_export
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

PAGE = "book/interactive"
TARGET = Path("_static") / "interactive"


def page_model(app: Sphinx) -> str:
    """The declared file the page uses, relative to the repository."""
    for name, spec in app.config.chapter_artifacts.items():
        if PAGE in spec.get("used_by", []):
            return name
    raise ExtensionError(f"_config.yml declares no chapter_artifacts entry "
                         f"used_by {PAGE}")


def export_for_site(root: Path, model_name: str, target: Path) -> list[Path]:
    """Write ``model.json`` and ``samples.json`` for the model into ``target``."""
    from scratchnet import data, export
    from scratchnet.model import Sequential

    model_path = root / model_name
    if not model_path.exists():
        raise ExtensionError(f"{PAGE}: {model_name} is missing; the Training "
                             "chapter saves it")
    model = Sequential.load(model_path)
    source = {"path": model_name, "sha256": data.sha256(model_path)}
    _, (x_test, y_test) = data.load_mnist(progress=False)
    return [
        export.write_json(export.model_to_dict(
            model, metadata={**model.metadata, "source": source}),
            target / "model.json"),
        export.write_json(export.sample_test_images(model, x_test, y_test),
                          target / "samples.json"),
    ]


def write_files(app: Sphinx) -> list[Path]:
    """The page's ``model.json`` and ``samples.json``, in the output."""
    return export_for_site(Path(app.srcdir), page_model(app),
                           Path(app.outdir) / TARGET)


def setup(app: Sphinx) -> dict[str, Any]:
    site_export.connect(app, PAGE, "interactive page", write_files)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
