"""Execute one chapter of the book on its own and report what it computed.

    python book/run_chapter.py mnist      (or: make chapter CH=mnist)

The chapter (a MyST Markdown notebook) is executed top to bottom in a fresh
kernel, exactly as the book build does (glued values included), and saved
as a regular notebook in ``_build/chapters/<name>.ipynb`` that Jupyter Lab
opens with its outputs. Each glued value appears there as the line
``name: value`` in the output of the cell that glued it, as in the notebook
the site's download button gives (a glue record itself is an output only
myst-nb can read). While it runs, a line per code cell says how far it is
and how long the last cell took, so a chapter that trains for minutes is
seen to be working. A failing cell stops the run with its traceback and
exit status 1; the notebook is saved as far as it ran.

A chapter that uses a file another chapter makes (``chapter_artifacts`` in
``_config.yml``, e.g. the Training chapter's saved network) runs that chapter
first when the file is missing, as the book's build does.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

import jupytext
import nbformat
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from scratchnet.notebook import BOOK_BUILD_ENV, glue_as_text

BOOK = Path(__file__).resolve().parent
OUT = BOOK.parent / "_build" / "chapters"


def chapter_names() -> list[str]:
    return sorted(p.stem for p in BOOK.glob("*.md"))


def missing_makers(chapter: str) -> list[str]:
    """Chapters that must run first: they make a missing file ``chapter`` uses."""
    config = yaml.safe_load((BOOK.parent / "_config.yml").read_text())
    artifacts = config["sphinx"]["config"].get("chapter_artifacts", {})
    return [Path(spec["made_by"]).name for name, spec in artifacts.items()
            if f"book/{chapter}" in spec.get("used_by", [])
            and not (BOOK.parent / name).exists()]


def summarize(nb: nbformat.NotebookNode) -> list[str]:
    """One line per output worth seeing: text, glued values, figures."""
    lines = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            glue = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if glue:
                plain = [v for k, v in data.items() if k.endswith("text/plain")]
                value = plain[0] if plain else "<figure>"
                lines.append(f"[cell {index}] glue {glue} = {value}")
            elif "image/png" in data:
                lines.append(f"[cell {index}] figure")
            elif out.get("output_type") == "stream":
                text = out["text"].strip().splitlines()
                lines += [f"[cell {index}] {t}" for t in text[-5:]]
            elif "text/plain" in data:
                text = data["text/plain"].strip().splitlines()
                lines += [f"[cell {index}] {t}" for t in text[:5]]
    return lines


class Progress:
    """Reports a run as it goes: a line per code cell when it finishes, and,
    while one cell runs long (a chapter training a network), a line every
    ``every`` seconds that it is still running.

    Hooked into nbclient's ``on_cell_start`` and ``on_cell_executed``; the
    reminders come from a daemon thread, stopped by :meth:`close`.
    """

    def __init__(self, nb: nbformat.NotebookNode, name: str,
                 out: TextIO | None = None, every: float = 30.0) -> None:
        # nbclient skips empty code cells without calling the hooks.
        self.total = sum(cell.cell_type == "code" and bool(cell.source.strip())
                         for cell in nb.cells)
        self.name, self.out, self.every = name, out, every
        self.done, self.started, self.began = 0, 0.0, time.perf_counter()
        self.running = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._remind, daemon=True)
        self._thread.start()

    def _say(self, text: str) -> None:
        print(f"{self.name}: {text}", file=self.out or sys.stdout, flush=True)

    def start(self, **_: object) -> None:
        self.started, self.running = time.perf_counter(), True

    def executed(self, **_: object) -> None:
        self.done, self.running = self.done + 1, False
        now = time.perf_counter()
        self._say(f"cell {self.done}/{self.total} done in "
                  f"{now - self.started:.1f} s ({now - self.began:.0f} s so far)")

    def _remind(self) -> None:
        while not self._stop.wait(self.every):
            if self.running:
                self._say(f"cell {self.done + 1}/{self.total} still running "
                          f"({time.perf_counter() - self.started:.0f} s)")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", help="chapter name: " + ", ".join(chapter_names()))
    parser.add_argument("--timeout", type=int, default=900,
                        help="seconds allowed per cell (default: 900)")
    args = parser.parse_args(argv)

    name = args.chapter.removesuffix(".md")
    if not (BOOK / f"{name}.md").exists():
        parser.error(f"no chapter {args.chapter!r}; choose one of: "
                     + ", ".join(chapter_names()))
    for maker in missing_makers(name):
        print(f"{name} uses a file that {maker} makes: running {maker} first")
        status = run(maker, args.timeout)
        if status != 0:
            return status
    return run(name, args.timeout)


def run(name: str, timeout: int) -> int:
    source = BOOK / f"{name}.md"
    nb = jupytext.read(source)
    progress = Progress(nb, name)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(BOOK)}},
                            on_cell_start=progress.start,
                            on_cell_executed=progress.executed)
    os.environ[BOOK_BUILD_ENV] = "1"             # the kernel glues, as in the book
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as err:
        print(f"{source.name}: a cell failed\n{err}", file=sys.stderr)
        return 1
    finally:
        progress.close()
        OUT.mkdir(parents=True, exist_ok=True)
        target = OUT / f"{source.stem}.ipynb"
        nbformat.write(nbformat.from_dict(glue_as_text(nb)), target)
    seconds = time.perf_counter() - start
    print("\n".join(summarize(nb)))
    print(f"\n{source.name}: {len(nb.cells)} cells executed in {seconds:.1f} s")
    print(f"executed notebook: {target.relative_to(BOOK.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
