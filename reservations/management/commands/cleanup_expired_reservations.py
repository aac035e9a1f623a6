"""Record EXPIRED on holds and partial-payment reservations past their time, now, in every
tenant (or one). The same work the beat job does (reservations.monitoring.run_cleanup)."""

from __future__ import annotations

from django.core.management.base import CommandParser

from reservations.management.operator_command import OperatorCommand
from reservations.models import CleanupRun
from reservations.monitoring import run_cleanup
from reservations.services import expire_stale_holds

COUNTS = ("holds_expired", "transactions_expired")


class Command(OperatorCommand):
    help = ("Record EXPIRED on every hold and partial-payment reservation past its time, "
            "free their seats and refresh availability.")

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--dry-run", action="store_true",
                            help="count what would expire, change nothing")
        parser.add_argument("--batch-size", type=int, default=1000,
                            help="rows per transaction (default 1000)")

    def handle(self, *args, **options) -> None:
        dry_run = options["dry_run"]

        def work(tenant) -> dict[str, int]:
            if dry_run:
                return expire_stale_holds(dry_run=True)
            counts = run_cleanup(trigger=CleanupRun.Trigger.COMMAND,
                                 batch_size=options["batch_size"])
            return {name: counts[name] for name in COUNTS}

        tenants = self.selected_tenants(options["tenant"])
        results, errors = self.for_each_tenant(tenants, work, label="cleanup")
        totals = {name: sum(r[name] for r in results.values()) for name in COUNTS}
        if options["format"] == "json":
            self.write_json({"dry_run": dry_run, "tenants": results, "totals": totals,
                             "errors": errors})
        else:
            self.write_table(
                ["tenant", "holds expired", "transactions expired"],
                [[schema, r["holds_expired"], r["transactions_expired"]]
                 for schema, r in results.items()]
                + [["total", totals["holds_expired"], totals["transactions_expired"]]],
            )
            verb = "would expire" if dry_run else "expired"
            self.stdout.write(
                f"{'Dry run: nothing was changed. ' if dry_run else ''}"
                f"{len(results)} tenant(s): {totals['holds_expired']} hold(s) and "
                f"{totals['transactions_expired']} transaction(s) {verb}."
            )
        self.fail_on(errors)
