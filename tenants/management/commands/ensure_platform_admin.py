from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pos.errors import DomainError
from tenants.services import ensure_platform_superuser


class Command(BaseCommand):
    help = ("Create the platform admin (a superuser of the public schema) when missing: "
            "$POS_PLATFORM_ADMIN_USER / $POS_PLATFORM_ADMIN_PASSWORD (platform / demo-pass).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://localhost:8000/admin/",
                            help="Where the platform admin is reached (printed).")

    def handle(self, *args, **options) -> None:
        username = settings.POS_PLATFORM_ADMIN_USER
        password = settings.POS_PLATFORM_ADMIN_PASSWORD
        try:
            _, created = ensure_platform_superuser(username=username, password=password)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if created:
            login = f"user {username}, password {password}"
        else:
            login = (f"user {username}, password as it was set: "
                     "$POS_PLATFORM_ADMIN_PASSWORD when make setup created it")
        self.stdout.write(self.style.SUCCESS(f"Platform admin: {options['url']} ({login})."))
