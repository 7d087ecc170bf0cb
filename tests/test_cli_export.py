"""``scratchnet export``: a saved model becomes the page's JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scratchnet import export
from scratchnet.cli import main
from scratchnet.model import Sequential, mlp


@pytest.fixture
def saved_model(tmp_path: Path) -> Path:
    return mlp([784, 16, 10], seed=0).save(tmp_path / "mlp.npz",
                                           metadata={"test_accuracy": 0.5})


def test_export_writes_json_next_to_the_model(
    saved_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(saved_model), "--format", "json"]) == 0
    out = saved_model.with_suffix(".json")
    doc = json.loads(out.read_text())
    assert doc["architecture"] == "784-16-10 relu"
    assert doc["metadata"] == {"test_accuracy": 0.5}
    assert str(out) in capsys.readouterr().out
    x = np.random.default_rng(0).random((8, 784), dtype=np.float32)
    np.testing.assert_allclose(export.forward(doc, x),
                               Sequential.load(saved_model).predict_proba(x),
                               atol=1e-6)


def test_export_honours_out(saved_model: Path, tmp_path: Path) -> None:
    target = tmp_path / "site" / "model.json"
    assert main(["export", str(saved_model), "--out", str(target)]) == 0
    assert json.loads(target.read_text())["format"] == export.MODEL_FORMAT


@pytest.mark.mnist
def test_export_with_samples_writes_real_test_digits(saved_model: Path,
                                                     tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    assert main(["export", str(saved_model), "--out", str(target),
                 "--samples", "12"]) == 0
    doc = json.loads((tmp_path / "model.samples.json").read_text())
    assert len(doc["samples"]) == 12 and doc["n_mistakes"] == 3


def test_export_of_a_missing_model_fails_with_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(tmp_path / "nope.npz")]) == 1
    assert "nope.npz: No such file" in capsys.readouterr().err


def test_export_of_a_non_model_file_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    assert main(["export", str(bad)]) == 1
    assert "bad.npz" in capsys.readouterr().err
    assert not bad.with_suffix(".json").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--format", "onnx"], "invalid choice: 'onnx'"),
        (["--samples", "-3"], "expected a number >= 0"),
    ],
)
def test_bad_export_flags_exit_2(flags: list[str], message: str,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "m.npz", *flags]) == 2
    assert message in capsys.readouterr().err
