"""``scratchnet.errors``: who can fix a failure, and the one check of whole numbers.

The command line sorts failures by these classes: a ``UsageError`` exits
with status 2 and one line naming what to change; the package's other
failures with their own statuses; anything else is a bug and keeps its
traceback (``test_cli_failures.py``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import scratchnet.cli
from scratchnet import atomic
from scratchnet.cli import main
from scratchnet.data import MNISTUnavailableError
from scratchnet.errors import NotWholeError, UsageError, check_whole
from scratchnet.train import TrainingDiverged


def test_check_whole_takes_whole_numbers_and_names_the_rest():
    assert check_whole("epochs", np.int64(3)) == 3
    assert type(check_whole("epochs", np.int64(3))) is int
    with pytest.raises(NotWholeError, match="epochs must be a whole number, got 1.5"):
        check_whole("epochs", 1.5)
    with pytest.raises(NotWholeError):
        check_whole("epochs", True)
    with pytest.raises(NotWholeError, match="got '3'"):
        check_whole("epochs", "3")
    with pytest.raises(ValueError, match=">= 1, got 0"):
        check_whole("epochs", 0)
    assert check_whole("n_val", 0, 0) == 0
    with pytest.raises(ValueError, match="n_val must be a whole number >= 0, got -1"):
        check_whole("n_val", -1, 0)


def test_not_whole_is_caught_as_a_wrong_type_and_as_a_wrong_value():
    """A caller that catches either ``TypeError`` or ``ValueError`` sees it."""
    for caught in (TypeError, ValueError):
        with pytest.raises(caught):
            check_whole("batch_size", 2.5)


def test_a_usage_error_is_a_value_error():
    """Code that checks values with ``except ValueError`` catches it too."""
    assert issubclass(UsageError, ValueError)


def failing(monkeypatch, err: BaseException) -> None:
    """Make ``scratchnet data info`` raise ``err``."""
    def command(args):
        raise err

    monkeypatch.setitem(scratchnet.cli.COMMANDS, ("data", "info"), command)


@pytest.mark.parametrize("err, status, message", [
    (UsageError("--val 70000 would leave nothing to train on"), 2,
     "scratchnet: error: --val 70000 would leave nothing to train on"),
    (TrainingDiverged("loss became nan", 1, 2, float("nan"), 1.0, 0.1), 3,
     "scratchnet: training diverged: loss became nan: the learning rate 1 is "
     "too high; try --lr 0.1"),
    (MNISTUnavailableError("no mirror answered; {choose}"), 1,
     "scratchnet: error: no mirror answered; use --data-dir DIR"),
])
def test_each_error_class_leaves_its_exit_status_and_one_line(
        monkeypatch, capsys, err, status, message):
    failing(monkeypatch, err)
    assert main(["data", "info"]) == status
    out, printed = capsys.readouterr()
    assert printed == message + "\n" and out == ""        # no traceback
    assert main(["data", "info", "--json"]) == status
    out, printed = capsys.readouterr()
    assert json.loads(out.splitlines()[-1]) == {"error": message, "exit_code": status}


def test_a_usage_error_after_a_write_names_the_file_written(monkeypatch, capsys,
                                                            tmp_path):
    """Nothing is lost silently: the message says what the run had replaced."""
    target = tmp_path / "model.npz"

    def command(args):
        atomic.atomic_write_bytes(target, b"saved")
        raise UsageError("the next step cannot be done")

    monkeypatch.setitem(scratchnet.cli.COMMANDS, ("data", "info"), command)
    assert main(["data", "info"]) == 2
    assert capsys.readouterr().err == (
        f"scratchnet: error: the next step cannot be done; written before that: "
        f"{target}\n")
    assert target.read_bytes() == b"saved"
