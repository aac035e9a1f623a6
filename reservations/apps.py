from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_beat_schedule(sender, **kwargs) -> None:
    from reservations.schedule import ensure_beat_schedule

    ensure_beat_schedule()


class ReservationsConfig(AppConfig):
    name = "reservations"

    def ready(self) -> None:
        # The schedule lives in the public schema's django-celery-beat tables, which a
        # tenant app's migration cannot write; post_migrate of the public schema can.
        post_migrate.connect(_ensure_beat_schedule, sender=self,
                             dispatch_uid="reservations.ensure_beat_schedule")
