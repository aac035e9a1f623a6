from django.core.management.base import BaseCommand, CommandError, CommandParser

from pos.errors import DomainError
from tenants.services import create_tenant


class Command(BaseCommand):
    help = "Create a venue organisation: schema, host name, settings and a venue admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("schema", help="schema name, e.g. teatro_caracas")
        parser.add_argument("--domain", required=True, help="host name, e.g. teatro.example.com")
        parser.add_argument("--admin", required=True, help="username of the first venue admin")
        parser.add_argument("--password", required=True, help="password of that venue admin")
        parser.add_argument("--name", help="display name (defaults to the schema name)")
        parser.add_argument("--email", default="", help="e-mail of the venue admin")

    def handle(self, *args, **options) -> None:
        try:
            tenant = create_tenant(
                schema_name=options["schema"],
                domain=options["domain"],
                name=options["name"],
                admin_username=options["admin"],
                admin_password=options["password"],
                admin_email=options["email"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Created tenant {tenant.schema_name!r} at {options['domain']} "
                f"with venue admin {options['admin']!r}."
            )
        )
