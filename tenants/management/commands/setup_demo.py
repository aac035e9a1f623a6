from django.core.management.base import BaseCommand, CommandError

from pos.errors import DomainError
from tenants.demo import DEMO_DOMAIN, DEMO_USERS, ensure_demo_tenant


class Command(BaseCommand):
    help = "Create or refresh the public tenant and the demo tenant with its users and data."

    def handle(self, *args, **options) -> None:
        try:
            ensure_demo_tenant()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        users = ", ".join(DEMO_USERS)
        self.stdout.write(self.style.SUCCESS(f"Demo tenant ready at {DEMO_DOMAIN} ({users})."))
