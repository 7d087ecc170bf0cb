"""Put the trained network and some test digits into the built site.

The "Draw a digit" page (``book/interactive``) runs the book's MLP in the
browser, from ``_static/interactive/model.json`` and ``samples.json``. They
are build products, not sources, so they are not in the repository: when the
HTML build has finished, this extension exports ``_build/models/mlp.npz`` (the
model the training chapter saved) into the output directory.

Why at the end of the build, into the output: notebooks may come from the
execution cache, in which case no cell runs, so a cell cannot be trusted to
write the files; and by the end every chapter that executes has run, so the
model is the one the book just trained. If the file is missing (every chapter
cached but ``_build/models`` deleted), the model is trained afresh with
``scratchnet train``, the book's recipe, so the page never ships broken.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

PAGE = "book/interactive"
MODEL = Path("_build") / "models" / "mlp.npz"
TARGET = Path("_static") / "interactive"


def export_for_site(model_path: Path, target: Path) -> list[Path]:
    """Write ``model.json`` and ``samples.json`` for ``model_path`` into ``target``."""
    from scratchnet import data, export
    from scratchnet.cli import main as scratchnet
    from scratchnet.model import Sequential

    if not model_path.exists():
        logger.info(f"interactive page: no {model_path}; training it with "
                    "`scratchnet train` (the book's recipe)")
        status = scratchnet(["train", "--quiet", "--save", str(model_path)])
        if status != 0:
            raise ExtensionError(f"training the model for {PAGE} failed "
                                 f"(exit status {status})")
    model = Sequential.load(model_path)
    source = {"path": str(MODEL), "sha256": data.sha256(model_path)}
    _, (x_test, y_test) = data.load_mnist(progress=False)
    return [
        export.write_json(export.model_to_dict(
            model, metadata={**model.metadata, "source": source}),
            target / "model.json"),
        export.write_json(export.sample_test_images(model, x_test, y_test),
                          target / "samples.json"),
    ]


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    if PAGE not in app.env.found_docs:       # page not in this build's toc
        return
    written = export_for_site(Path(app.srcdir) / MODEL,
                              Path(app.outdir) / TARGET)
    for path in written:
        logger.info(f"interactive page: wrote {path} "
                    f"({path.stat().st_size:,} bytes)")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", _on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
