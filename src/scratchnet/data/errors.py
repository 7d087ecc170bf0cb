"""Errors raised by `scratchnet.data`.

Each names what was expected and what came, so a failed download or a
damaged file can be fixed without reading the source.
"""


class IDXFormatError(ValueError):
    """Bytes that are not a well-formed IDX file."""


class ChecksumError(ValueError):
    """A file whose size or hash differs from the published one."""


class MNISTUnavailableError(RuntimeError):
    """Every source of MNIST failed; the message says how to place the files by hand."""
