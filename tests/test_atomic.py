"""``scratchnet.atomic``: a file is written whole or not at all.

The data cache, saved models and exported JSON all go through
``atomic_writer``; these tests pin what it promises: a failed or
interrupted write leaves the old file (or none) and no temporary file, only
regular files are ever replaced, and a destination that could not be
written is refused before any work.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading

import pytest

from scratchnet.atomic import (
    NotRegularFileError,
    atomic_write_bytes,
    atomic_writer,
    check_writable,
    journal,
    open_regular,
    resolve_target,
)


def test_a_write_replaces_the_file_whole_and_leaves_nothing_else(tmp_path):
    path = atomic_write_bytes(tmp_path / "f", b"old")
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["f"]


def test_a_failed_write_keeps_the_old_file_and_no_partial_one(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"old")
    with pytest.raises(OSError, match="disk full"):
        with atomic_writer(path) as f:
            f.write(b"new, but only half")
            raise OSError("disk full")
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["f"]


def test_an_interrupted_first_write_leaves_no_file_at_all(tmp_path):
    """Ctrl-C is not swallowed, and nothing half-written is left to load."""
    with pytest.raises(KeyboardInterrupt):
        with atomic_writer(tmp_path / "model.npz") as f:
            f.write(b"half a model")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_an_error_while_writing_names_the_destination(tmp_path, monkeypatch):
    """A full disk shows up at the flush; the message names the file meant."""
    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as caught:
        atomic_write_bytes(tmp_path / "export.json", b"{}")
    assert caught.value.filename == str(tmp_path / "export.json")
    assert os.listdir(tmp_path) == []


def test_written_files_get_the_umask_in_force_and_import_changes_none(tmp_path):
    code = ("import os, sys\n"
            "os.umask(0o077)\n"
            "import scratchnet.atomic as atomic\n"
            "print(oct(os.umask(0o027)))\n"
            "path = atomic.atomic_write_bytes(sys.argv[1], b'x')\n"
            "print(oct(os.stat(path).st_mode & 0o777))\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "f")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0o77", "0o640"]


def test_a_link_to_a_file_is_written_through_and_stays_a_link(tmp_path):
    target, link = tmp_path / "target", tmp_path / "link"
    target.write_bytes(b"old")
    link.symlink_to(target)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["link", "target"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_only_regular_files_are_replaced_or_opened(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFileError, match="exists and is a FIFO"):
        atomic_write_bytes(fifo, b"x")
    with pytest.raises(IsADirectoryError):
        resolve_target(tmp_path)
    opened: list[BaseException] = []    # a plain open() would wait forever

    def read() -> None:
        try:
            open_regular(fifo)
        except BaseException as err:
            opened.append(err)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert isinstance(opened[0], NotRegularFileError)
    with open_regular(atomic_write_bytes(tmp_path / "f", b"data")) as f:
        assert f.read() == b"data"


def test_a_name_as_long_as_the_system_allows_still_gets_a_temporary_file(tmp_path):
    path = tmp_path / ("m" * 250 + ".npz")
    atomic_write_bytes(path, b"x")
    assert os.listdir(tmp_path) == [path.name]


def test_the_journal_lists_what_was_replaced_while_it_was_open(tmp_path):
    with journal() as written:
        atomic_write_bytes(tmp_path / "a", b"a")
        with pytest.raises(OSError):
            with atomic_writer(tmp_path / "b"):
                raise OSError("failed")
    atomic_write_bytes(tmp_path / "c", b"c")          # after it closed
    assert written == [tmp_path / "a"]


def test_check_writable_refuses_each_impossible_destination(tmp_path, read_only):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(IsADirectoryError):
        check_writable(tmp_path)
    with pytest.raises(NotADirectoryError):
        check_writable(tmp_path / "a-file" / "model.npz")
    with pytest.raises(OSError, match=re.escape(str(read_only))):
        check_writable(read_only / "model.npz")
    ok = tmp_path / "new" / "dirs" / "model.npz"
    assert check_writable(ok) == ok and not (tmp_path / "new").exists()
    assert "a-file" in os.listdir(tmp_path)
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".part")]
