"""Chapters that use a file another chapter makes: declared, ordered, fresh.

The Training chapter saves its network, and the "Draw a digit" page runs that
very file. ``_config.yml`` declares such files under ``chapter_artifacts``::

    chapter_artifacts:
      _build/models/mlp.npz:           # relative to the repository
        made_by: book/training
        used_by: [book/interactive]

and this extension makes every build honour the declaration, instead of the
luck of alphabetical execution order:

- the maker is read, and so executed, before the chapters that use its file;
- a missing file makes the maker run again, even when the execution cache
  holds its outputs (a cached chapter runs no cell, so it writes no file);
- a user whose cached outputs came from another version of the file (its
  SHA-256 is recorded when the user executes) runs again.

``book/run_chapter.py`` reads the same declaration, so ``make chapter``
runs the maker first when the file is missing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

STAMPS = ".chapter-artifacts.json"     # beside the execution cache


def _artifacts(app: Sphinx) -> dict[str, dict[str, Any]]:
    return app.config.chapter_artifacts or {}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cache_dir(app: Sphinx) -> Path | None:
    """The execution cache, when chapters are executed through one."""
    if app.config.nb_execution_mode != "cache":
        return None
    return Path(app.srcdir) / (app.config.nb_execution_cache_path or ".jupyter_cache")


def _forget_cached_outputs(app: Sphinx, docname: str) -> None:
    """Drop ``docname``'s cached outputs, so that it executes when read."""
    cache_dir = _cache_dir(app)
    if cache_dir is None or not cache_dir.exists():
        return
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_dir))
    source = Path(app.env.doc2path(docname)).resolve()
    for record in cache.list_cache_records():
        if Path(record.uri).resolve() == source:
            cache.remove_cache(record.pk)
            logger.info(f"chapter artifacts: {docname} will execute again")


def _stamps_path(app: Sphinx) -> Path:
    cache_dir = _cache_dir(app)
    base = cache_dir.parent if cache_dir else Path(app.doctreedir)
    return base / STAMPS


def _read_stamps(app: Sphinx) -> dict[str, dict[str, str]]:
    try:
        return json.loads(_stamps_path(app).read_text())
    except (OSError, ValueError):
        return {}


def _order_and_refresh(app: Sphinx, env: BuildEnvironment,
                       docnames: list[str]) -> None:
    """Make each maker run when its file is missing, and read makers first."""
    for name, spec in _artifacts(app).items():
        maker, users = spec["made_by"], list(spec.get("used_by", []))
        if not (Path(app.srcdir) / name).exists():
            logger.info(f"chapter artifacts: {name} is missing; "
                        f"{maker} makes it")
            _forget_cached_outputs(app, maker)
            docnames.append(maker)
        if maker in docnames:          # its file may change: users check it
            docnames.extend(users)
        deduplicated = list(dict.fromkeys(docnames))
        if maker in deduplicated:
            deduplicated.remove(maker)
            first_user = min((deduplicated.index(u) for u in users
                              if u in deduplicated), default=len(deduplicated))
            deduplicated.insert(first_user, maker)
        docnames[:] = deduplicated


def _check_before_execution(app: Sphinx, docname: str, source: list[str]) -> None:
    """Before a user executes: its file exists, and its outputs are of it."""
    for name, spec in _artifacts(app).items():
        if docname not in spec.get("used_by", []):
            continue
        path = Path(app.srcdir) / name
        if not path.exists():
            raise ExtensionError(f"{docname} uses {name}, which {spec['made_by']} "
                                 "should have made, but the file is not there")
        stamps = _read_stamps(app)
        digest = _sha256(path)
        if stamps.get(docname, {}).get(name) != digest:
            _forget_cached_outputs(app, docname)
            stamps.setdefault(docname, {})[name] = digest
            target = _stamps_path(app)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(stamps, indent=1, sort_keys=True))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("chapter_artifacts", {}, "env", [dict])
    app.connect("env-before-read-docs", _order_and_refresh)
    app.connect("source-read", _check_before_execution)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
