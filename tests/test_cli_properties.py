"""Random command lines: always an exit status the README promises, never a traceback.

Hypothesis writes the flags (valid values, out-of-range values, junk); the
data is a small random stand-in for MNIST of the same shapes and dtype, so
every example trains for real in well under a second.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scratchnet import data
from scratchnet.cli import main

# Junk is never a large valid whole number: "--epochs 418513" or "--hidden
# 418513" would be a fair request that simply takes hours or gigabytes.
JUNK = (st.sampled_from(["", "nan", "inf", "-inf", "1e400", "0x10", "ten",
                         " 3", "1,5", "-0", "1e-400", "-1"])
        | st.integers(-10**6, 0).map(str) | st.floats().map(repr))


def mostly(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Valid values seven times in eight, so most command lines get to train."""
    return st.integers(0, 7).flatmap(lambda k: JUNK if k == 0 else valid)


def number(low: float, high: float) -> st.SearchStrategy[str]:
    return st.floats(low, high).map(repr)


OPTIONAL = {
    "--hidden": mostly(st.lists(st.integers(1, 40), max_size=3).map(
        lambda sizes: ",".join(map(str, sizes)))),
    "--activation": mostly(st.sampled_from(["relu", "tanh", "sigmoid"])),
    "--dropout": mostly(number(0, 0.9)),
    "--batch-size": mostly(st.integers(1, 600).map(str)),
    "--lr": mostly(st.floats(-9, 300).map(lambda e: f"{10 ** e:g}")),
    "--optimizer": mostly(st.sampled_from(["sgd", "adam"])),
    "--momentum": mostly(number(0, 0.99)),
    "--weight-decay": mostly(number(0, 1)),
    "--lr-schedule": mostly(st.sampled_from(["constant", "cosine", "step",
                                             "warmup_cosine"])),
    "--seed": mostly(st.integers(0, 2**32).map(str)),
    "--model": mostly(st.sampled_from(["mlp", "cnn", "vit"])),
    "--preset": mostly(st.sampled_from(["best-mlp", "best-cnn", "best-vit"])),
}


@st.composite
def train_argv(draw, save_to: Path) -> list[str]:
    argv = ["train", "--quiet", "--epochs", draw(mostly(st.sampled_from(["1", "2"]))),
            "--val", draw(mostly(st.integers(0, 700).map(str)))]  # 600 is too many
    for flag, values in OPTIONAL.items():
        if draw(st.integers(0, 3)) == 0:
            argv += [flag, draw(values)]
    if draw(st.booleans()):
        argv.append("--json")
    where = draw(st.sampled_from(["none", "file", "directory", "under-a-file"]))
    targets = {"file": save_to / "m.npz", "directory": save_to,
               "under-a-file": save_to / "m.npz" / "x.npz"}
    if where in targets:
        argv += ["--save", str(targets[where])]
    return argv


def _digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random digits shaped like MNIST's: uint8 (n, 28, 28) and labels 0..9."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            np.arange(n, dtype=np.uint8) % 10)


SMALL_MNIST = _digits(600, 0), _digits(100, 1)


def small_mnist(*args, **kwargs):
    return SMALL_MNIST


@pytest.fixture
def fake_data(monkeypatch):
    monkeypatch.setattr(data, "load_mnist", small_mnist)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(drawn=st.data())
def test_any_train_flags_exit_0_1_2_or_3_without_a_traceback(
        drawn, fake_data, tmp_path):
    save_to = tmp_path / "out"
    save_to.mkdir(exist_ok=True)
    argv = drawn.draw(train_argv(save_to))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)            # a traceback would raise out of here
    event(f"exit status {status}")    # --hypothesis-show-statistics
    assert status in {0, 1, 2, 3}, (argv, err.getvalue())
    assert "Traceback" not in err.getvalue()
    if "--json" in argv:
        last = json.loads(out.getvalue().strip().splitlines()[-1])
        assert last.get("exit_code", 0) == status
    if status:
        assert err.getvalue().strip().splitlines()[-1].startswith("scratchnet")
