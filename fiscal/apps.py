from django.apps import AppConfig


class FiscalConfig(AppConfig):
    name = "fiscal"

    def ready(self) -> None:
        # The profile and the exchange rates are remembered per process (pricing a hold or
        # a checkout reads them): every change makes every process forget them.
        from fiscal.models import ExchangeRate, FiscalProfile
        from tenants.identity import watch

        watch(FiscalProfile, ExchangeRate)
