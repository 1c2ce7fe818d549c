"""S10 number helpers the simulator needs: check digits, validation, building demo numbers."""

from __future__ import annotations

import re

S10_RE = re.compile(r"^[A-Z]{2}\d{9}[A-Z]{2}$")
_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def check_digit(serial8: str) -> int:
    """The UPU S10 check digit for an 8-digit serial (weights 8,6,4,2,3,5,9,7; 10->0, 11->5)."""
    if len(serial8) != 8 or not serial8.isdigit():
        raise ValueError("an S10 serial is exactly 8 digits")
    c = 11 - sum(int(d) * w for d, w in zip(serial8, _WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(c, c)


def make_number(service: str, serial8: str, country: str) -> str:
    """A complete S10 number with its check digit, e.g. ('EE', '12345678', 'CN')."""
    return f"{service}{serial8}{check_digit(serial8)}{country}"


def is_valid_s10(number: str) -> bool:
    """True for a well-formed S10 number whose check digit is right."""
    return bool(S10_RE.match(number)) and check_digit(number[2:10]) == int(number[10])


def is_ems(number: str) -> bool:
    """True for a valid S10 number whose service indicator marks an EMS item."""
    return is_valid_s10(number) and number.startswith("E")
