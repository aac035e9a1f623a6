"""Give live partial-payment reservations (and their held seats) N more hours, in every
tenant (or one). The rule and the audit trail are in
reservations.services.extend_reservations."""

from __future__ import annotations

import getpass

from django.core.management.base import CommandError, CommandParser

from pos.errors import DomainError
from reservations.jobs import new_job_id
from reservations.management.operator_command import OperatorCommand
from reservations.services import extend_reservations, validate_bulk_extension


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


class Command(OperatorCommand):
    help = ("Extend live partial-payment reservations (and their holds) by N hours; each "
            "extension is recorded in the audit trail with who and when.")

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--hours", type=int, required=True, metavar="N",
                            help="hours to add (1 to 720)")
        parser.add_argument("--event", type=int, metavar="ID",
                            help="only reservations of this event (needs --tenant)")
        parser.add_argument("--expiring-within", type=int, metavar="HOURS",
                            help="only reservations whose deadline is within HOURS")
        parser.add_argument("--dry-run", action="store_true",
                            help="count what would be extended, change nothing")
        parser.add_argument("--by", default=None, metavar="NAME",
                            help="who runs this, for the audit trail (default: OS user)")

    def handle(self, *args, **options) -> None:
        try:
            validate_bulk_extension(options["hours"], options["expiring_within"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        tenants = self.selected_tenants(options["tenant"])
        if options["event"] is not None and len(tenants) > 1:
            raise CommandError("Event ids are per tenant: give --tenant with --event.")
        # A dry run is a preview, not a job: it names none (as the API's preview).
        job_id = "" if options["dry_run"] else new_job_id()
        by = f"command ({options['by'] or _os_user()})"
        results, errors = self.for_each_tenant(
            tenants,
            lambda tenant: {**extend_reservations(
                hours=options["hours"], event_id=options["event"],
                expiring_within=options["expiring_within"], dry_run=options["dry_run"],
                actor_label=by, job_id=job_id,
            ), "job": job_id or None},
            label="extend",
        )
        totals = {name: sum(int(r[name]) for r in results.values())
                  for name in ("reservations", "tickets")}
        if options["format"] == "json":
            self.write_json({"hours": options["hours"], "dry_run": options["dry_run"],
                             "job": job_id or None, "tenants": results, "totals": totals,
                             "errors": errors})
        else:
            self.write_table(
                ["tenant", "reservations", "tickets"],
                [[schema, r["reservations"], r["tickets"]] for schema, r in results.items()]
                + [["total", totals["reservations"], totals["tickets"]]],
            )
            verb = "would be extended" if options["dry_run"] else "extended"
            self.stdout.write(
                f"{'Dry run: nothing was changed. ' if options['dry_run'] else ''}"
                f"{totals['reservations']} reservation(s) ({totals['tickets']} ticket(s)) "
                f"{verb} by {options['hours']} h{f' (job {job_id})' if job_id else ''}."
            )
        self.fail_on(errors)
