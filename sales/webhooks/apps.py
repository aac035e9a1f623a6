from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "sales.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pos.domain_events import domain_event
        from sales.webhooks.receivers import queue_webhooks

        domain_event.connect(queue_webhooks, dispatch_uid="webhooks.queue_webhooks")
