"""Strict decimal input for every amount, exchange rate or percentage a client sends.

One rule, here: a decimal arrives as a JSON string of ASCII digits with an optional point
and at most `decimal_places` decimals, nothing else (`^[0-9]{1,12}(\\.[0-9]{1,2})?$` for
money). Refused: JSON numbers (a float has already lost the cents), exponents ("1e1"),
signs ("+5", "-5"), "_" separators, surrounding spaces, non-ASCII digits (Arabic-Indic,
full-width), and more digits than the database column holds. The pattern is written with
[0-9], not \\d, because Python's (and Hypothesis') \\d also matches every Unicode digit.

`MoneyField` is the DRF field (its OpenAPI schema is the same pattern);
`StrictModelSerializer` gives a ModelSerializer's decimal model fields that field;
pos.forms holds the Django form field of the admin, with the same rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

# What any strict decimal looks like before its digits are counted.
_SHAPE = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)


def decimal_pattern(*, max_digits: int, decimal_places: int) -> str:
    """The regular expression (JSON Schema and Python alike) of a strict decimal string
    that fits a column of `max_digits` digits, `decimal_places` of them decimals."""
    whole = max_digits - decimal_places
    fraction = rf"(\.[0-9]{{1,{decimal_places}}})?" if decimal_places else ""
    return rf"^[0-9]{{1,{whole}}}{fraction}$"


def strict_decimal_error(value: object, *, max_digits: int, decimal_places: int,
                         ) -> tuple[str, dict[str, int]] | None:
    """Why `value` is not a strict decimal string for that column: an error code
    ("strict", "max_whole_digits", "max_decimal_places") and its message arguments; None
    when it is one. The codes after "strict" are those of DRF's DecimalField."""
    if not isinstance(value, str) or not _SHAPE.fullmatch(value):
        return "strict", {}
    whole, _, fraction = value.partition(".")
    if len(whole) > max_digits - decimal_places:
        return "max_whole_digits", {"max_whole_digits": max_digits - decimal_places}
    if len(fraction) > decimal_places:
        return "max_decimal_places", {"max_decimal_places": decimal_places}
    return None


def strict_decimal_message(*, name: str, decimal_places: int) -> str:
    example = "12.5" if decimal_places else "12"
    decimals = (f"at most {decimal_places} decimal{'s' if decimal_places > 1 else ''} "
                "after a point" if decimal_places else "no decimals")
    return (f"{name} must be a string of ASCII digits with {decimals}, like \"{example}\" "
            "(no JSON number, sign, exponent, spaces or separators).")


class MoneyField(serializers.DecimalField):
    """A DecimalField that takes only strict decimal strings (module docstring), for
    money (`MoneyField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))`),
    exchange rates (decimal_places=6) and percentages alike. Answers are as DecimalField's:
    strings with `decimal_places` decimals."""

    def __init__(self, *, max_digits: int = 14, decimal_places: int = 2, **kwargs: Any) -> None:
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)
        self.pattern = decimal_pattern(max_digits=max_digits, decimal_places=decimal_places)

    def to_internal_value(self, data: Any) -> Decimal:
        error = strict_decimal_error(data, max_digits=self.max_digits,
                                     decimal_places=self.decimal_places)
        if error is not None:
            code, arguments = error
            if code == "strict":
                raise serializers.ValidationError(
                    strict_decimal_message(name=self.field_name or "The amount",
                                           decimal_places=self.decimal_places),
                    code="strict")
            self.fail(code, **arguments)
        return super().to_internal_value(data)


class MoneyFieldSchema(OpenApiSerializerFieldExtension):
    """drf-spectacular: a MoneyField is a string with its pattern (requests and answers
    alike: what the API answers always matches it)."""

    target_class = MoneyField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field: MoneyField = self.target
        schema: dict[str, Any] = {"type": "string", "format": "decimal",
                                  "pattern": field.pattern}
        if field.min_value is not None:
            schema["x-minimum"] = str(field.min_value)
        if field.max_value is not None:
            schema["x-maximum"] = str(field.max_value)
        return schema


class VenueDateTimeField(serializers.DateTimeField):
    """A DateTimeField that takes only instants from 2000 to 2099. Outside that window a
    date is a typing slip, and before 1912 the venue's zone has a local mean time offset
    (Caracas: -04:27:44) that no ISO 8601 client can read back."""

    earliest = datetime(2000, 1, 1, tzinfo=UTC)
    latest = datetime(2100, 1, 1, tzinfo=UTC)

    def to_internal_value(self, value: Any) -> datetime:
        instant = super().to_internal_value(value)
        if not self.earliest <= instant < self.latest:
            raise serializers.ValidationError(
                f"{self.field_name or 'The date'} must be between 2000 and 2099.",
                code="out_of_range")
        return instant


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose decimal model fields are MoneyFields (with the model
    field's digits, decimals and min/max validators) and whose date-times are
    VenueDateTimeFields: for every serializer that writes."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.DecimalField: MoneyField,
                                models.DateTimeField: VenueDateTimeField}
