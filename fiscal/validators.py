"""Venezuelan tax identifiers: the RIF of the issuer and the RIF or cédula of a buyer."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# [0-9], not \d: Python's \d also takes Arabic-Indic or full-width digits.
RIF_RE = re.compile(r"^([VEJPGC])-?([0-9]{8})-?([0-9])$")
CEDULA_RE = re.compile(r"^([VE])-?([0-9]{1,9})$")
# SENIAT's check digit: the letter's value and the 8 digits, weighted, modulo 11.
LETTER_VALUES = {"V": 1, "E": 2, "J": 3, "C": 3, "P": 4, "G": 5}
WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2)


def rif_check_digit(letter: str, digits: str) -> int:
    values = (LETTER_VALUES[letter], *(int(d) for d in digits))
    remainder = 11 - sum(v * w for v, w in zip(values, WEIGHTS, strict=True)) % 11
    return 0 if remainder >= 10 else remainder


def normalize_rif(value: str) -> str:
    """`j123456784` → `J-12345678-4`; raises ValidationError when malformed or when the
    check digit is wrong."""
    match = RIF_RE.match(value.strip().upper().replace(" ", ""))
    if not match:
        raise ValidationError(
            "A RIF is a letter (V, E, J, P, G or C), 8 digits and a check digit, "
            "like J-12345678-4.", code="rif_format",
        )
    letter, digits, check = match.groups()
    if rif_check_digit(letter, digits) != int(check):
        raise ValidationError(
            f"The check digit of RIF {letter}-{digits}-{check} is wrong.", code="rif_check",
        )
    return f"{letter}-{digits}-{check}"


def validate_rif(value: str) -> None:
    normalize_rif(value)


def normalize_buyer_id(value: str) -> str:
    """A buyer identifies with a RIF or a cédula (V-12345678); empty for a final consumer."""
    value = value.strip().upper().replace(" ", "")
    if not value:
        return ""
    if RIF_RE.match(value):
        return normalize_rif(value)
    match = CEDULA_RE.match(value)
    if match:
        return f"{match.group(1)}-{match.group(2)}"
    return value  # printed as given: the cashier typed it from a document we do not know
