"""Checks of an export's query that need the venue's records (the rest is
pos.exports.parse_export_query)."""

from __future__ import annotations

from pos.exports import ExportQuery, InvalidExportQuery
from sales.models import Event


def check_event(query: ExportQuery) -> None:
    """An `event` that is no event of this venue is a 400 naming it (not an empty file
    that would look like an event without sales)."""
    if query.event is not None and not Event.objects.filter(pk=query.event).exists():
        raise InvalidExportQuery(f"There is no event {query.event}.", field="event",
                                 code="unknown_event")
