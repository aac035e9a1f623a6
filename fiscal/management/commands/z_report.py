from fiscal.management.commands._fiscal_command import FiscalCommand
from fiscal.services import close_fiscal_day


class Command(FiscalCommand):
    help = ("Z report: close the fiscal day (America/Caracas) of each tenant: next Z number, "
            "totals, the day's documents locked to it. Refused when nothing is new.")

    def handle(self, *args, **options) -> None:
        def close() -> dict:
            report = close_fiscal_day(day=options["day"])
            return {"number": report.number, "fiscal_day": report.fiscal_day.isoformat(),
                    "totals": report.totals}

        self.run(options, close)
