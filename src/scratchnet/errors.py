"""The error a user can fix by asking differently.

The command line sorts every failure by who can fix it. ``UsageError``: the
request cannot be done as asked (a value out of range for the data, an
output path that cannot be written); it exits with status 2 and its message
names what the user typed. The environment's failures (files, network,
memory) exit with status 1. Anything else is a bug in scratchnet and keeps
its traceback, so it gets reported rather than explained away.
"""

from __future__ import annotations


class UsageError(ValueError):
    """A request that cannot be done as asked; the message says what to change."""
