from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_beat_schedule(sender, **kwargs) -> None:
    from reservations.schedule import ensure_beat_schedule

    ensure_beat_schedule()


def _release_holds_at_logout(sender, user_ids, reason, **kwargs) -> None:
    """Users logged out of their devices (tenants.staff's `staff_logged_out`): their live
    holds are released once that has committed (reservations.services)."""
    from django.db import connection
    from django_tenants.utils import get_public_schema_name

    from reservations.services import release_holds_after_commit

    if connection.schema_name != get_public_schema_name():  # no holds there
        release_holds_after_commit(user_ids=user_ids)


class ReservationsConfig(AppConfig):
    name = "reservations"

    def ready(self) -> None:
        from tenants.staff.signals import staff_logged_out

        # The schedule lives in the public schema's django-celery-beat tables, which a
        # tenant app's migration cannot write; post_migrate of the public schema can.
        post_migrate.connect(_ensure_beat_schedule, sender=self,
                             dispatch_uid="reservations.ensure_beat_schedule")
        staff_logged_out.connect(_release_holds_at_logout,
                                 dispatch_uid="reservations.release_holds_at_logout")
