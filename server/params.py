"""Numbers in query parameters: ASCII digits only.

Python's ``str.isdigit`` accepts superscripts and ``int``/``float`` accept any Unicode decimal
digit, signs, underscores and surrounding spaces (``int("\\uff15") == 5``, ``float(" 1_0 ") == 10.0``).
A URL parameter is read as the plain ASCII number people write, or refused with a 400 naming it.
"""

from __future__ import annotations

import re

from ilrs.graph.errors import ParameterError

_WHOLE = re.compile(r"[0-9]{1,18}")
_DECIMAL = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,18})?")


def ascii_whole_number(raw: str) -> int | None:
    """``raw`` as a whole number if it is only ASCII digits (at most 18), else ``None``."""
    return int(raw) if _WHOLE.fullmatch(raw) else None


def whole_number(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    """The parameter ``name`` as a whole number from ``low`` to ``high`` (``default`` when absent).

    Raises :class:`ParameterError` naming the parameter, the range and the value for anything else.
    """
    if raw is None:
        return default
    value = ascii_whole_number(raw)
    if value is None or not low <= value <= high:
        raise ParameterError(f"{name}: expected a whole number from {low} to {high} in ASCII digits, not {raw!r}")
    return value


def positive_seconds(name: str, raw: str) -> float:
    """The parameter ``name`` as a positive number of seconds written ``30`` or ``2.5`` (ASCII digits)."""
    if not _DECIMAL.fullmatch(raw) or float(raw) <= 0:
        raise ParameterError(f"{name}={raw!r} is not a positive number of seconds such as 30 or 2.5")
    return float(raw)
