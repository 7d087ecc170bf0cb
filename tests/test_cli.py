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
        (["--epochs", "0"],
         "argument --epochs: epochs must be a whole number >= 1, got 0"),
        (["--epochs", "ten"], "expected a whole number, got 'ten'"),
        (["--lr", "-0.1"],
         "argument --lr: learning rate must be a finite number > 0, got -0.1"),
        (["--lr", "nan"], "argument --lr: expected a finite number, got 'nan'"),
        (["--weight-decay", "inf"],
         "argument --weight-decay: expected a finite number, got 'inf'"),
        (["--augment-degrees", "1e308"], "argument --augment-degrees: max_shift"),
        (["--augment-shift", "5000"],
         "argument --augment-shift: augment_shift must be below 28"),
        (["--augment-shift", "10000000000000000000"], "argument --augment-shift"),
        (["--weight-decay", "-1"],
         "argument --weight-decay: weight_decay must be >= 0, got -1"),
        (["--hidden", "128,abc"], "expected a whole number, got 'abc'"),
        (["--hidden", "128,0"], "argument --hidden: out_features must be a whole "
                                "number >= 1, got 0"),
        (["--dropout", "1.5"], "argument --dropout: dropout probability p must "
                               "be in [0, 1), got 1.5"),
        (["--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
        (["--activation", "swish"], "invalid choice: 'swish'"),
        (["--batch-size", "-5"], "argument --batch-size: batch_size must be a "
                                 "whole number >= 1, got -5"),
        (["--val", "-1"], "argument --val: n_val must be a whole number >= 0"),
        (["--early-stopping", "-2"],
         "argument --early-stopping: patience must be >= 1"),
        (["--preset", "best-cnn", "--augment-shift", "-1"],
         "argument --augment-shift:"),
    ],
)
def test_bad_train_flags_exit_2_with_a_message_naming_the_problem(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", *flags]) == 2
    err = capsys.readouterr().err
    first, hint = err.splitlines()      # one or two lines, as the README says
    assert message in first and first.startswith("scratchnet train: error:")
    assert hint == "scratchnet: see 'scratchnet train --help'"


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
def test_train_without_save_writes_nothing(tmp_path: Path) -> None:
    """The README's promise: `train` saves nothing unless given --save."""
    trained = subprocess.run(
        [sys.executable, "-m", "scratchnet", "train", "--hidden", "16", "--epochs",
         "1", "--val", "0", "--quiet", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout.strip().splitlines()[-1])["saved_to"] is None
    assert list(tmp_path.iterdir()) == []


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


@pytest.fixture
def fake_mnist_cli(make_mirror, monkeypatch):
    """``data fetch`` and ``data info`` against a local mirror of fake MNIST files."""
    import functools

    from data_server import fake_mnist

    from scratchnet import cli

    fake = fake_mnist()
    mirror = make_mirror(fake.gz)
    monkeypatch.setattr(cli.data, "fetch_mnist", functools.partial(
        cli.data.fetch_mnist, mirrors=[mirror.url], spec=fake.spec))
    monkeypatch.setattr(cli.data, "mnist_info", functools.partial(
        cli.data.mnist_info, spec=fake.spec))
    return fake


def test_data_fetch_prints_each_file_and_data_info_shows_them_verified(
        fake_mnist_cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "mnist"
    assert main(["--data-dir", str(target), "data", "fetch", "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(fake_mnist_cli.idx)
    assert all(line.split()[1] == str(target / line.split()[0]) for line in lines)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == fake_mnist_cli.idx

    assert main(["--data-dir", str(target), "data", "info"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"directory: {target}"
    files = {line.split()[0]: line.split()[1] for line in out[1:5]}
    assert files == dict.fromkeys(fake_mnist_cli.idx, "verified")
    train = fake_mnist_cli.arrays["train-images-idx3-ubyte"].shape
    assert f"train: images {train}," in "\n".join(out)
    assert any(line.startswith("  label counts 0..9: ") for line in out)


def test_data_info_names_a_damaged_file_and_fails(
        fake_mnist_cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "mnist"
    assert main(["--data-dir", str(target), "data", "fetch", "--quiet"]) == 0
    (target / "t10k-labels-idx1-ubyte").write_bytes(b"junk")
    capsys.readouterr()
    assert main(["--data-dir", str(target), "data", "info"]) == 1
    out, err = capsys.readouterr()
    line = next(x for x in out.splitlines() if "t10k-labels-idx1-ubyte" in x)
    assert "verified" not in line
    assert "`scratchnet data fetch` downloads what is missing" in err


@pytest.fixture(scope="module")
def mnist_subset():
    """3,000 real training digits and 1,000 test digits: minutes become seconds."""
    from scratchnet.data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist(progress=False)
    return (x_train[:3000], y_train[:3000]), (x_test[:1000], y_test[:1000])


@pytest.mark.mnist
def test_train_model_vit_saves_a_transformer_that_evaluate_reads(
    tmp_path: Path, mnist_subset, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    """``--model vit`` end to end, on a real subset: train with progress lines,
    ``--save``, ``--json``; ``evaluate`` reloads the file and agrees."""
    from scratchnet import cli
    from scratchnet.model import Sequential

    monkeypatch.setattr(cli.data, "load_mnist", lambda *args, **kwargs: mnist_subset)
    path = tmp_path / "vit.npz"
    assert main(["train", "--model", "vit", "--epochs", "3", "--val", "500",
                 "--save", str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    assert "epoch 3/3" in err                             # the progress lines
    result = json.loads(out.strip().splitlines()[-1])
    assert (result["model"], result["epochs"], result["n_test"]) == ("vit", 3, 1000)
    assert result["recipe"]["patch"] == 7 and result["saved_to"] == str(path)
    assert result["test_accuracy"] > 0.3 and result["warnings"] == []

    model = Sequential.load(path)
    assert [type(layer).__name__ for layer in model][:2] == ["PatchEmbedding",
                                                             "TransformerBlock"]
    assert model.metadata["recipe"]["epochs"] == 3
    assert main(["evaluate", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["test_accuracy"] == result["test_accuracy"]
    assert report["architecture"] == result["architecture"]
