from fiscal.management.commands._fiscal_command import FiscalCommand
from fiscal.selectors import x_report


class Command(FiscalCommand):
    help = "X report: the fiscal day's totals so far, per tenant. Changes nothing."

    def handle(self, *args, **options) -> None:
        self.run(options, lambda: x_report(day=options["day"]))
