from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_beat_schedule(sender, **kwargs) -> None:
    from sales.mail.schedule import ensure_mail_schedule

    ensure_mail_schedule()


class MailConfig(AppConfig):
    name = "sales.mail"
    label = "mail"
    verbose_name = "E-mail"

    def ready(self) -> None:
        from pos.domain_events import domain_event
        from sales.mail import receivers

        domain_event.connect(receivers.queue_customer_mail,
                             dispatch_uid="mail.queue_customer_mail")
        post_migrate.connect(_ensure_beat_schedule, sender=self,
                             dispatch_uid="mail.ensure_beat_schedule")
