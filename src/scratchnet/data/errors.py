"""Errors raised by `scratchnet.data`.

Each names what was expected and what came, so a failed download or a
damaged file can be fixed without reading the source.
"""


class IDXFormatError(ValueError):
    """Bytes that are not a well-formed IDX file."""


class ChecksumError(ValueError):
    """A file whose size or hash differs from the published one."""


class MNISTUnavailableError(RuntimeError):
    """Every source of MNIST failed; the message says how to place the files by hand.

    The message tells a Python caller to pass ``data_dir=...``;
    ``explain("--data-dir DIR")`` says the same in the command line's words.
    """

    CHOOSE = "{choose}"

    def __init__(self, template: str) -> None:
        self.template = template
        super().__init__(self.explain("pass data_dir=..."))

    def explain(self, choose: str) -> str:
        """The message, with ``choose`` as the way to pick the directory."""
        return self.template.replace(self.CHOOSE, choose)
