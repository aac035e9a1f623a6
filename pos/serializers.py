"""Output serializers whose fields are built once per process.

A ModelSerializer builds every field again each time it is used (model introspection,
deep copies of the declared fields, nested serializers included): for the answer to a
checkout (the sale with its items, payments, tickets, history and documents) that cost
more CPU than the writes behind it (docs/performance.md). Formatting a value needs no
field bound to this use, so the fields are built once per class and reused."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject


class FieldsBuiltOnce:
    """Mix into a Serializer used for output: `to_representation` goes through the class's
    readable fields built once (on first use). Same answer as DRF's own loop; a
    SerializerMethodField calls this instance's method, so `self.context` works there.
    Nested serializers are reused too: whatever they show must not depend on the context
    (they see none). Input (`data=`, validation) is untouched."""

    _readable_fields_once: ClassVar[tuple[tuple[str, serializers.Field], ...] | None] = None

    @classmethod
    def readable_fields_once(cls) -> tuple[tuple[str, serializers.Field], ...]:
        built = cls.__dict__.get("_readable_fields_once")
        if built is None:  # per class, not inherited: a subclass has fields of its own
            built = tuple((name, field) for name, field in cls().fields.items()
                          if not field.write_only)
            cls._readable_fields_once = built
        return built

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, field in self.readable_fields_once():
            if isinstance(field, serializers.SerializerMethodField):
                data[name] = getattr(self, field.method_name)(instance)
                continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            # As DRF: a related field answers its primary key without loading the row.
            value = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            data[name] = None if value is None else field.to_representation(attribute)
        return data
