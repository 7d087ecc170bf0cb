"""The README's ``make test`` on a machine with no browser.

A reader's fresh machine may have no Chromium and no way to install one.
There the browser checks skip with one line that says how to enable them;
under ``make site-test`` (``SCRATCHNET_REQUIRE_SITE=1``) and CI they fail.
The checks run in a subprocess whose ``PATH`` holds no browser at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BROWSER_TEST = ("tests/site/test_site.py::"
                "test_every_page_opens_in_a_browser_without_console_errors")


def run_browser_test(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    site = tmp_path / "html"
    site.mkdir(exist_ok=True)
    (site / "index.html").write_text("<html><title>a build</title></html>")
    empty_path = tmp_path / "bin"
    empty_path.mkdir(exist_ok=True)
    clean = {k: v for k, v in os.environ.items()
             if k not in {"CI", "SCRATCHNET_REQUIRE_SITE", "SCRATCHNET_BROWSER"}}
    clean.update(PATH=str(empty_path), SCRATCHNET_SITE=str(site), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", BROWSER_TEST, "-m", "site", "-rs",
         "-p", "no:cacheprovider"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def test_without_a_browser_the_browser_checks_skip_and_say_how(tmp_path: Path) -> None:
    result = run_browser_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    skipped = [line for line in result.stdout.splitlines()
               if line.startswith("SKIPPED")]
    assert len(skipped) == 1, result.stdout
    assert "no Chromium found" in skipped[0]
    assert "chromium" in skipped[0] and "SCRATCHNET_BROWSER" in skipped[0]


@pytest.mark.parametrize("env", [{"SCRATCHNET_REQUIRE_SITE": "1"}, {"CI": "true"}],
                         ids=["make site-test", "CI"])
def test_where_the_site_is_required_a_missing_browser_fails(
    tmp_path: Path, env: dict[str, str]
) -> None:
    result = run_browser_test(tmp_path, **env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no Chromium found" in result.stdout
