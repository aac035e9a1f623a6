"""The reservation jobs in django-celery-beat's schedule (public schema).

One dispatcher entry runs every minute and queues the expiry job for each tenant whose
own `cleanup_interval_minutes` has elapsed (see docs/operations.md for why this rather
than one schedule entry per tenant). The entries are created when missing and never
overwritten, so what an operator changes in the admin stays."""

from __future__ import annotations

from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_tenants.utils import get_public_schema_name

# name -> (task, every N minutes)
ENTRIES: dict[str, tuple[str, int]] = {
    "reservations: cleanup dispatcher": ("reservations.dispatch_cleanup", 1),
    "reservations: statistics snapshot": ("reservations.snapshot_stats", 15),
    "reservations: alerts": ("reservations.refresh_alerts", 5),
}


def ensure_beat_schedule(entries: dict[str, tuple[str, int]] | None = None,
                         created_by: str = "reservations.schedule") -> int:
    """Create the missing entries (public schema only; `entries`: another app's, e.g.
    sales.mail.schedule). Returns how many were created. The real models (not migration
    state) so a running beat notices the change."""
    if connection.schema_name != get_public_schema_name():
        return 0
    created = 0
    for name, (task, minutes) in (ENTRIES if entries is None else entries).items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        every = IntervalSchedule.objects.filter(every=minutes, period="minutes").first() or (
            IntervalSchedule.objects.create(every=minutes, period="minutes"))
        PeriodicTask.objects.create(name=name, task=task, interval=every, enabled=True,
                                    description=f"Created by {created_by}.")
        created += 1
    return created
