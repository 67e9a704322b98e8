"""Exact numbers as Thai documents write them: Decimal, Thai digits, half-up rounding.

Guarantees: no float ever enters a computation (a float argument is read through its repr,
"0.1" not 0.1000000000000000055…); rounding is half-up (the documents' convention: 004's
per-province table, 2,292.5 -> 2,293), never banker's.
Rounding and printing are exact at any size: the context grows past its 28 digits when a number needs
it (10^27 at two decimals, 10^5000), so no input can make them raise.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
    getcontext,
    localcontext,
)

# Results are compared at the precision the documents print them: two decimals
# (002:L235 "1.48", 004:L1345 "95.45"). A catalog sets `decimals:` only where its document says otherwise.
DEFAULT_DECIMALS = 2

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_ARABIC_TO_THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def to_arabic_digits(text: str) -> str:
    return text.translate(THAI_DIGITS)


def to_thai_digits(text: str) -> str:
    return text.translate(_ARABIC_TO_THAI)


def parse_decimal(value: object) -> Decimal:
    """Parse a number given as int, Decimal or text ("๙๒.๕", "33,109,323.18", "92.5%").

    Raises ValueError for anything that is not one plain number.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if not isinstance(value, str):
        raise ValueError(f"not a number: {value!r}")
    text = to_arabic_digits(value).strip().replace(",", "").replace(" ", "")
    text = text.removesuffix("%")
    if not _NUMBER.match(text):
        raise ValueError(f"not a number: {value!r}")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise ValueError(f"not a number: {value!r}") from exc


def decimals_of(value: Decimal) -> int:
    """How many decimals a number is written with: 93.50 -> 2, 80 -> 0."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _room(value: Decimal, decimals: int = 0) -> AbstractContextManager[Context]:
    """A context with room for every digit of `value` at `decimals`: the default 28 digits would make
    quantize raise InvalidOperation for 10^27 at 2 decimals, and normalize round away digits."""
    context = getcontext().copy()
    if value.is_finite():
        context.prec = max(context.prec, value.adjusted() + max(decimals, 0) + 3, len(value.as_tuple().digits))
    return localcontext(context)


def round_half_up(value: Decimal, decimals: int = 0) -> Decimal:
    with _room(value, decimals):
        return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def step(decimals: int) -> Decimal:
    """The smallest difference at a precision: 2 -> 0.01."""
    return Decimal(1).scaleb(-decimals)


def ceil_to(value: Decimal, unit: Decimal) -> Decimal:
    """The smallest multiple of `unit` that is >= value: ceil_to(1.301, 0.01) -> 1.31."""
    return (value / unit).to_integral_value(rounding=ROUND_CEILING) * unit


def floor_to(value: Decimal, unit: Decimal) -> Decimal:
    """The largest multiple of `unit` that is <= value: floor_to(1.309, 0.01) -> 1.30."""
    return (value / unit).to_integral_value(rounding=ROUND_FLOOR) * unit


def fmt(value: Decimal, decimals: int | None = None) -> str:
    """Format as Thai staff write numbers: thousands separators, fixed decimals, no exponent."""
    if decimals is not None:
        value = round_half_up(value, decimals)
        return f"{value:,.{decimals}f}"
    with _room(value):
        value = value.normalize() if value == value.to_integral_value() else value
        if value == value.to_integral_value():
            # not int(): Python refuses to print an int of over 4,300 digits
            return f"{value.copy_abs() if value.is_zero() else value:,.0f}"
        return f"{value:,f}"
