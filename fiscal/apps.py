from django.apps import AppConfig


class FiscalConfig(AppConfig):
    name = "fiscal"
