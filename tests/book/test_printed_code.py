"""The code the book prints is the plain code.

Every ``literalinclude`` of the package with ``:pyobject:`` is found in the
chapters, and the function or class it prints is read from the source: a
quoted ``backward`` accumulates with ``+=``, and nothing printed reaches for
the speed tricks the Performance chapter measures apart (a flush helper, an
in-place product into ``.grad``) or for reflection.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
INCLUDE = re.compile(r"```\{literalinclude\} \.\./(src/scratchnet/\S+\.py)\n"
                     r"(?:[^`]*?\n)?:pyobject: (\S+)")
TRICKS = ("_flush_now", "flush_tiny", "add_matmul", "add_sum", "out=self.",
          "out=p.grad", "inspect.", "signature(")
"""Allowed only where the chapter prints them *as* the trick (below)."""
IN_PLACE_OUTPUT = re.compile(r"\bout=")
"""``np.exp(x, out=x)``: a scratch-array speed trick the reader must be told."""
MEASURED = {"FusedAdam.step", "flush_tiny"}
"""What the Performance chapter prints as the measured fast form."""


def printed() -> list[tuple[str, str, str]]:
    """``(chapter, source file, object)`` for every printed package object."""
    found = []
    for md in sorted(BOOK.glob("*.md")):
        for path, name in INCLUDE.findall(md.read_text(encoding="utf-8")):
            found.append((md.stem, path, name))
    return found


def source_of(path: str, name: str) -> str:
    """The source of ``name`` (``Class.method`` or a top-level name) in ``path``."""
    text = (ROOT / path).read_text(encoding="utf-8")
    nodes: list[ast.AST] = list(ast.parse(text).body)
    for part in name.split("."):
        node = next(n for n in nodes if getattr(n, "name", None) == part)
        nodes = list(getattr(node, "body", []))
    segment = ast.get_source_segment(text, node)
    assert segment is not None
    return segment


PRINTED = printed()


def test_the_chapters_print_the_package_s_backward_passes():
    names = {name for _, _, name in PRINTED}
    assert {"Linear.backward", "Linear.backward_parameters", "ReLU.backward",
            "Conv2D.backward", "Conv2D.backward_parameters",
            "Sequential.backward", "Adam.step"} <= names


@pytest.mark.parametrize(("chapter", "path", "name"), PRINTED,
                         ids=[f"{c}:{n}" for c, _, n in PRINTED])
def test_printed_code_is_plain(chapter, path, name):
    code = source_of(path, name)
    if name.endswith(("backward", "backward_parameters")):
        for line in code.splitlines():
            seed = "np.ones_like" in line         # autograd's dL/dL = 1
            if ".grad" in line and "=" in line.replace("==", "") and not seed:
                assert "+=" in line, f"{chapter} prints {name} with {line.strip()!r}"
    if name not in MEASURED:
        used = [t for t in TRICKS if t in code]
        assert not used, f"{chapter} prints {name}, which uses {used}"
        in_place = [line.strip() for line in code.splitlines()
                    if IN_PLACE_OUTPUT.search(line)]
        assert not in_place, (f"{chapter} prints {name}, which writes a NumPy "
                              f"result into an existing array: {in_place}")
