from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from fiscal.errors import FiscalProfileIncomplete
from fiscal.selectors import missing_for_invoicing
from fiscal.services import set_up_issuer
from pos.errors import DomainError
from pos.fields import strict_decimal_error
from tenants.services import create_tenant

# Where each missing piece of the fiscal profile comes from on this command line.
OPTION_OF = {"legal_name": "--legal-name", "rif": "--rif",
             "fiscal_address": "--fiscal-address", "exchange_rate": "--rate USD=RATE"}


def parse_rate(text: str) -> tuple[str, Decimal]:
    """`USD=36.5` → ("USD", Decimal("36.5")): the strict decimal rule of the API."""
    currency, _, rate = text.partition("=")
    if strict_decimal_error(rate, max_digits=18, decimal_places=6) is not None:
        raise CommandError(f"--rate {text!r}: give CURRENCY=RATE, the rate in Bs as digits "
                           "with at most 6 decimals, e.g. USD=36.5.")
    if Decimal(rate) <= 0:
        raise CommandError(f"--rate {text!r}: the rate must be positive.")
    return currency.strip().upper(), Decimal(rate)


class Command(BaseCommand):
    help = ("Create a venue organisation: schema, host name, settings, a venue admin and "
            "the fiscal identity its invoices print.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("schema", help="schema name, e.g. teatro_caracas")
        parser.add_argument("--domain", required=True, help="host name, e.g. teatro.example.com")
        parser.add_argument("--admin", required=True, help="username of the first venue admin")
        parser.add_argument("--password", required=True, help="password of that venue admin")
        parser.add_argument("--name", help="display name (defaults to the schema name)")
        parser.add_argument("--email", default="", help="e-mail of the venue admin")
        fiscal = parser.add_argument_group(
            "fiscal identity", "What every invoice prints; without all of them (and a rate) "
            "checkouts answer 409 fiscal_profile_incomplete until a venue admin enters "
            "them (/api/fiscal/settings/, /api/fiscal/exchange-rates/).")
        fiscal.add_argument("--legal-name", default="", help="legal name (razón social)")
        fiscal.add_argument("--rif", default="", help="RIF, e.g. J-12345678-4")
        fiscal.add_argument("--fiscal-address", default="", help="fiscal address")
        fiscal.add_argument("--rate", action="append", default=[], metavar="CUR=RATE",
                            help="today's BCV rate in Bs, e.g. USD=36.5 (repeatable)")

    def handle(self, *args, **options) -> None:
        rates = dict(parse_rate(text) for text in options["rate"])

        def set_up() -> None:
            set_up_issuer(legal_name=options["legal_name"], rif=options["rif"],
                          fiscal_address=options["fiscal_address"], rates=rates)

        try:
            tenant = create_tenant(
                schema_name=options["schema"],
                domain=options["domain"],
                name=options["name"],
                admin_username=options["admin"],
                admin_password=options["password"],
                admin_email=options["email"],
                set_up=set_up,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except ValidationError as exc:  # the fiscal identity or a rate: nothing was created
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Created tenant {tenant.schema_name!r} at {options['domain']} "
                f"with venue admin {options['admin']!r}."
            )
        )
        with schema_context(tenant.schema_name):
            missing = missing_for_invoicing(currency="USD")
        if missing:
            refusal = FiscalProfileIncomplete(missing, currency="USD")
            options_line = ", ".join(OPTION_OF[name] for name in missing)
            self.stdout.write(self.style.WARNING(
                f"{refusal.message}\nOr give {options_line} to this command."))
        else:
            self.stdout.write("Fiscal profile complete: invoices can be issued.")
