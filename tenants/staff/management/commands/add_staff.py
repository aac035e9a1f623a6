"""manage.py add_staff USERNAME --tenant SCHEMA --role ROLE [--name NAME] [--password PW]"""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from pos.errors import DomainError
from tenants.roles import Role
from tenants.selectors import venue_tenants
from tenants.staff.models import StaffChange
from tenants.staff.services import create_staff


class Command(BaseCommand):
    help = ("Add a staff member to a venue organisation (Django's password validators apply; "
            "the change is recorded in the staff audit).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--tenant", required=True, metavar="SCHEMA",
                            help="the venue organisation's schema, e.g. demo")
        parser.add_argument("--role", required=True, choices=[role.value for role in Role])
        parser.add_argument("--name", default="", help="display name")
        parser.add_argument("--password",
                            help="initial password (asked for when omitted on a terminal)")

    def handle(self, *args, **options) -> None:
        schema = options["tenant"]
        if not venue_tenants(schema_name=schema).exists():
            raise CommandError(f"No venue organisation with schema {schema!r}.")
        password = options["password"] or self._ask_password()
        try:
            with schema_context(schema):
                user = create_staff(username=options["username"], name=options["name"],
                                    role=Role(options["role"]), password=password,
                                    actor=None, via=StaffChange.Via.COMMAND)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Added {user.get_username()!r} as {options['role']} to {schema!r}."))

    def _ask_password(self) -> str:
        if not self.stdin_is_terminal():
            raise CommandError("Give --password (no terminal to ask on).")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords do not match.")
        return first

    @staticmethod
    def stdin_is_terminal() -> bool:
        import sys

        return sys.stdin.isatty()
