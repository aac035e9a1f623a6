"""Print the reservation statistics of every tenant (or one): the same figures as
`GET /api/reservations/stats/` and the periodic snapshots (reservations.stats)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from reservations.management.operator_command import OperatorCommand
from reservations.stats import reservation_stats, stats_report


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{value:.1%}"


def _contested(seats: list[dict]) -> str:
    return ", ".join(f"{s['label']}×{s['conflicts']}" for s in seats) or "-"


class Command(OperatorCommand):
    help = ("Per event: active holds, live partial-payment reservations, those expiring "
            "within 1 h, completed / expired / cancelled in the window, conversion and "
            "abandonment rates, most contested seats.")

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--event", type=int, metavar="ID", help="only this event")
        parser.add_argument("--window-hours", type=int,
                            default=settings.RESERVATION_OPERATIONS["stats_window_hours"],
                            help="window of the completed/expired/cancelled counts "
                                 "(default %(default)s)")

    def handle(self, *args, **options) -> None:
        window = options["window_hours"]
        if not 1 <= window <= 24 * 366:
            raise CommandError("--window-hours must be between 1 and 8784 (a year).")
        now = timezone.now()
        event_id = options["event"]
        tenants = self.selected_tenants(options["tenant"])
        results, errors = self.for_each_tenant(
            tenants,
            lambda tenant: reservation_stats(now=now, window_hours=window, event_id=event_id),
            label="stats",
        )
        if event_id is not None and not errors and not any(
                block["events"] for block in results.values()):
            where = f"tenant {options['tenant']}" if options["tenant"] else "any tenant"
            raise CommandError(f"Event {event_id} does not exist in {where}.")
        if options["format"] == "json":
            report = stats_report(tenant_blocks=list(results.values()), now=now,
                                  window_hours=window)
            self.write_json({**report, "errors": errors} if errors else report)
        else:
            self._table(results, window)
        self.fail_on(errors)

    def _table(self, results: dict, window: int) -> None:
        rows = []
        for schema, block in results.items():
            for e in block["events"]:
                rows.append([schema, e["event"], e["name"][:30], e["active_holds"],
                             e["live_reservations"], e["expiring_within_1h"], e["completed"],
                             e["expired"], e["cancelled"], _percent(e["conversion_rate"]),
                             _percent(e["abandonment_rate"]), _contested(e["contested_seats"])])
            t = block["totals"]
            rows.append([schema, "all", "(total)", t["active_holds"], t["live_reservations"],
                         t["expiring_within_1h"], t["completed"], t["expired"], t["cancelled"],
                         _percent(t["conversion_rate"]), _percent(t["abandonment_rate"]), ""])
        self.write_table(
            ["tenant", "event", "name", "holds", "reservations", "expiring 1h", "completed",
             "expired", "cancelled", "conversion", "abandonment", "most contested"],
            rows,
        )
        events = sum(len(b["events"]) for b in results.values())
        self.stdout.write(f"{len(results)} tenant(s), {events} event(s); completed / expired / "
                          f"cancelled over the last {window} h.")
