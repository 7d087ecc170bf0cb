"""The repository is named in one setting, and the site and the README agree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return str(config["repository"]["url"])


def test_the_preface_quotes_the_setting() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["parse"]["myst_substitutions"]["repository_url"] == repository_url()
    assert "{{ repository_url }}" in (ROOT / "book" / "preface.md").read_text()


def test_the_readme_and_the_package_name_the_same_repository() -> None:
    assert repository_url() in (ROOT / "README.md").read_text(encoding="utf-8")
    tomllib = pytest.importorskip("tomllib")          # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["urls"]["Homepage"] == repository_url()


def test_no_two_test_files_share_a_name() -> None:
    # pytest imports test modules by their bare name (the folders are not
    # packages): a second test_x.py anywhere stops the whole run at collection.
    seen: dict[str, Path] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if "node_modules" in path.parts:
            continue
        assert path.name not in seen, f"{path} and {seen[path.name]} share a name"
        seen[path.name] = path
