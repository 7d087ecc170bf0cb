"""The error a user can fix by asking differently.

The command line sorts every failure by who can fix it. ``UsageError``: the
request cannot be done as asked (a value out of range for the data, an
output path that cannot be written); it exits with status 2 and its message
names what the user typed. The environment's failures (files, network,
memory) exit with status 1. Anything else is a bug in scratchnet and keeps
its traceback, so it gets reported rather than explained away.
``check_whole`` is the one check of the whole numbers the package takes.
"""

from __future__ import annotations

import numbers


class UsageError(ValueError):
    """A request that cannot be done as asked; the message says what to change."""


class NotWholeError(TypeError, ValueError):
    """Not a whole number at all (a float, a bool, a string): the wrong type
    of value, so it is caught as either."""


def check_whole(name: str, n: object, minimum: int = 1) -> int:
    """``n`` as an ``int``, if it is a whole number >= ``minimum``.

    The one check of every count and size the package takes: a bool is not
    a number here, a float is the wrong type (``NotWholeError``), and a
    number below ``minimum`` the wrong value (ValueError).
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise NotWholeError(f"{name} must be a whole number, got {n!r}")
    if n < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {n!r}")
    return int(n)
