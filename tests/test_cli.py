"""The ``scratchnet`` command line, as a user types it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scratchnet.cli import build_parser, main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "scratchnet", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--epochs", "0"], "expected a number > 0, got 0"),
        (["--epochs", "ten"], "expected a whole number, got 'ten'"),
        (["--lr", "-0.1"], "expected a number > 0, got -0.1"),
        (["--lr", "nan"], "expected a finite number, got nan"),
        (["--weight-decay", "-1"], "expected a number >= 0, got -1"),
        (["--hidden", "128,abc"], "expected a whole number, got 'abc'"),
        (["--dropout", "1.5"], "expected 0 <= p < 1"),
        (["--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
        (["--batch-size", "-5"], "expected a number > 0"),
        (["--val", "-1"], "expected a number >= 0"),
    ],
)
def test_bad_train_flags_exit_2_with_a_message_naming_the_problem(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("usage: scratchnet train")


def test_unknown_command_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fly"]) == 2
    assert "invalid choice: 'fly'" in capsys.readouterr().err


def test_hidden_sizes_parse_into_a_list() -> None:
    args = build_parser().parse_args(["train", "--hidden", "64,32"])
    assert args.hidden == [64, 32]
    assert build_parser().parse_args(["train", "--hidden", ""]).hidden == []


def test_evaluate_a_missing_model_says_so(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(tmp_path / "nope.npz")]) == 1
    assert capsys.readouterr().err == (
        f"scratchnet: error: {tmp_path / 'nope.npz'}: No such file or directory\n")


def test_evaluate_a_damaged_model_says_so(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a model")
    assert main(["evaluate", str(bad)]) == 1
    assert "bad.npz" in capsys.readouterr().err


def test_data_info_without_files_reports_them_missing_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path), "data", "info", "--json"]) == 1
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert info["directory"] == str(tmp_path)
    assert {f["present"] for f in info["files"].values()} == {False}
    assert info["exit_code"] == 1 and "data fetch" in info["error"]


@pytest.mark.mnist
def test_train_save_evaluate_round_trip(tmp_path: Path) -> None:
    model_path = tmp_path / "small.npz"
    trained = run_cli("train", "--hidden", "32", "--epochs", "1", "--val", "0",
                      "--seed", "3", "--quiet", "--save", str(model_path),
                      "--json")
    assert trained.returncode == 0, trained.stderr
    result = json.loads(trained.stdout.strip().splitlines()[-1])
    assert {"test_accuracy", "train_seconds", "epochs", "architecture"} <= set(result)
    assert result["architecture"].startswith("784-32-10")
    assert result["n_test"] == 10_000
    assert 0.85 < result["test_accuracy"] <= 1.0

    evaluated = run_cli("evaluate", str(model_path), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert report["test_accuracy"] == pytest.approx(result["test_accuracy"])
    assert sum(map(sum, report["confusion_matrix"])) == 10_000
    assert "confusion matrix" in evaluated.stdout


@pytest.mark.mnist
@pytest.mark.slow
def test_default_training_reaches_98_percent_and_is_reproducible() -> None:
    """The README's promise: the defaults give >= 98% for seed 0, every time."""
    runs = [run_cli("train", "--epochs", "10", "--seed", "0", "--quiet", "--json")
            for _ in range(2)]
    results = []
    for run in runs:
        assert run.returncode == 0, run.stderr
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
    assert results[0]["test_accuracy"] >= 0.98
    assert results[0]["test_accuracy"] == results[1]["test_accuracy"]
    assert results[0]["epochs"] == 10
