"""Name the numbers a chapter computes, so that its prose can quote them.

The book never types a measured number into its text: a cell computes the
value and *glues* it under a name, and the prose refers to that name with
myst-nb's ``glue:text`` role. ``glue`` here does that, and also prints the
value, so a reader who runs a chapter as a plain notebook (in Jupyter Lab, or
the notebook downloaded from the site, where myst-nb may not be installed)
sees every number the page quotes, in the output of the cell that made it.

A notebook executed for the book carries glue *records*, which only myst-nb
reads; :func:`glue_as_text` turns each into the same ``name: value`` line,
so the notebooks a reader gets (the site's download, ``make chapter``'s
``_build/chapters/``) show every glued value.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import os
from pathlib import Path
from typing import Any

#: "1" while myst-nb executes the chapters for the book: set in one place,
#: the ``book_build_env`` extension that ``_config.yml`` loads (and by
#: ``make chapter``, which executes a chapter as the build does), and
#: inherited by the kernels.
BOOK_BUILD_ENV = "SCRATCHNET_BOOK_BUILD"

#: The network the Training chapter saves and the "Draw a digit" page runs,
#: relative to the repository. ``_config.yml`` declares the same file under
#: ``chapter_artifacts`` (so the build runs Training first), and a test holds
#: the two spellings equal.
SAVED_MODEL = "_build/models/mlp.npz"


def saved_model_path() -> Path:
    """Where the chapters keep the trained network, seen from where they run.

    The book executes each chapter in the repository's ``book/`` folder, so
    there the file is one level up. A chapter run anywhere else (a notebook
    downloaded from the site) keeps it under its own folder, where the next
    downloaded chapter looks for it.
    """
    here = Path.cwd()
    in_book = here.name == "book" and (here.parent / "_config.yml").is_file()
    return (Path("..") if in_book else Path()) / SAVED_MODEL


def glue(name: str, value: Any) -> None:
    """Keep ``value`` for the prose under ``name``, and let a notebook reader
    see it.

    ``value`` is what the prose shows: text, or Markdown (for the ``glue:md``
    role). In the book's build (and ``make chapter``, which runs a chapter as
    the build does) it goes to myst-nb only: the page shows it in its prose,
    and the notebooks a reader gets (the site's download, ``make chapter``'s
    ``_build/chapters/``) show it as ``name: value`` where the cell made it
    (:func:`glue_as_text`). Anywhere else (Jupyter Lab, a download run again)
    it is printed as ``name: value``: a glue record is an output no Jupyter
    can draw ("No renderer could be found").
    """
    if os.environ.get(BOOK_BUILD_ENV) == "1":
        from myst_nb import glue as myst_glue

        myst_glue(name, value, display=False)
        return
    print(f"{name}: {shown(value)}")


def shown(value: Any) -> str:
    """The text a reader should see for a glued value: Markdown as its source."""
    return str(value._repr_markdown_() if hasattr(value, "_repr_markdown_")
               else value)


def agreement(error: float, rounding: str = "float32 rounding") -> str:
    """How two computations of the same thing agree, for the prose.

    "exactly" when the largest difference is 0 (saying "to 0.0e+00, float32
    rounding" would invent a rounding error that did not happen), otherwise
    the difference and what it is, e.g. "to 2.4e-07, float32 rounding".
    """
    if error < 0 or error != error:
        raise ValueError(f"a difference must be a number >= 0, got {error}")
    return "exactly" if error == 0 else f"to {error:.1e}, {rounding}"


def speed_verdict(before: float, after: float, *, threshold: float = 1.1) -> str:
    """Say how ``after`` seconds compare with ``before``, e.g. "3.2x faster".

    The book is built on different CPUs, so a sentence about a speed measured
    while the page is built takes its word from this, not from the author's
    machine: within ``threshold`` either way the two are "about as fast".
    """
    if before <= 0 or after <= 0:
        raise ValueError(f"times must be positive, got {before} and {after}")
    ratio = before / after
    if ratio >= threshold:
        return f"{ratio:.1f}x faster"
    if ratio <= 1 / threshold:
        return f"{1 / ratio:.1f}x slower"
    return "about as fast"


def glue_as_text(notebook: Any) -> Any:
    """A copy of ``notebook`` (an executed nbformat 4 notebook) whose glue
    records are ``name: value`` lines.

    A glue record is an output that only myst-nb can read (Jupyter draws
    "No renderer could be found"); the line is what :func:`glue` prints
    outside the book's build. Works on ``nbformat`` notebooks and on the
    plain dictionaries they are, so this module needs no Jupyter package.
    """
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = [_readable(out) for out in cell.get("outputs", [])]
    return notebook


def glued_values(notebook: Any) -> dict[str, str]:
    """Every value glued in an executed ``notebook``, by name, as a reader sees it."""
    values = {}
    for cell in notebook["cells"]:
        for out in cell.get("outputs", []):
            name = _record(out).get("name")
            if name:
                values[name] = _record_text(out)
    return values


def _record(output: Any) -> Any:
    return output.get("metadata", {}).get("scrapbook", {})


def _record_text(output: Any) -> str:
    prefix = _record(output).get("mime_prefix", "")
    data = output.get("data", {})
    if prefix + "text/markdown" in data:
        return str(data[prefix + "text/markdown"])
    text = str(data.get(prefix + "text/plain", ""))
    with contextlib.suppress(ValueError, SyntaxError):
        text = str(ast.literal_eval(text))          # "'98.3%'" -> 98.3%
    return text


def _readable(output: Any) -> Any:
    name = _record(output).get("name")
    if not name:
        return output
    line = {"output_type": "stream", "name": "stdout",
            "text": f"{name}: {_record_text(output)}\n"}
    return type(output)(line) if isinstance(output, dict) else line
