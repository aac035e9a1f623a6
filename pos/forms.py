"""The strict decimal rule of pos.fields in the Django admin: a form field for decimal model
fields, and the ModelAdmin mixin that uses it for every decimal column of a model."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from pos.fields import decimal_pattern, strict_decimal_error, strict_decimal_message


class StrictMoneyFormField(forms.DecimalField):
    """A form DecimalField that takes only strict decimal strings ("12.50"; never "1e1",
    "+5", " 5 ", "1_0", an Arabic-Indic digit). A text box: a number box lets the browser
    send "1e1"."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):  # an initial value, not typed by anyone
            return super().to_python(value)
        error = strict_decimal_error(value, max_digits=self.max_digits,
                                     decimal_places=self.decimal_places)
        if error is not None:
            code, arguments = error
            if code == "strict":
                raise ValidationError(
                    strict_decimal_message(name=str(self.label or "The amount"),
                                           decimal_places=self.decimal_places),
                    code="strict")
            messages = {
                "max_whole_digits": "Ensure that there are no more than "
                                    "%(max_whole_digits)s digits before the decimal point.",
                "max_decimal_places": "Ensure that there are no more than "
                                      "%(max_decimal_places)s decimal places.",
            }
            raise ValidationError(messages[code], code=code, params=arguments)
        return super().to_python(value)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal",
                      "pattern": decimal_pattern(max_digits=self.max_digits,
                                                 decimal_places=self.decimal_places)[1:-1]})
        return attrs


# formfield_overrides of a ModelAdmin or inline: every decimal column takes strict input.
STRICT_DECIMAL_FORMFIELDS = {models.DecimalField: {"form_class": StrictMoneyFormField}}


class StrictDecimalAdmin:
    """Mix into a ModelAdmin or an inline before its admin class."""

    formfield_overrides = STRICT_DECIMAL_FORMFIELDS
