"""The e-mail job in django-celery-beat's schedule (public schema): every minute, for
each tenant, the reservation reminders that are due and the alert e-mails not yet sent.
Created when missing, never overwritten (reservations.schedule)."""

from __future__ import annotations

from reservations.schedule import ensure_beat_schedule

ENTRIES: dict[str, tuple[str, int]] = {
    "mail: reminders and alerts": ("mail.dispatch", 1),
}


def ensure_mail_schedule() -> int:
    return ensure_beat_schedule(ENTRIES, created_by="sales.mail.schedule")
