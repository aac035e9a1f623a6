"""OpenAPI example values of the door's endpoints (drf-spectacular)."""

from __future__ import annotations

from typing import Any

QR = "8D5MLDL7H2473JZK:Xk3vR0p9mT2qLw8sYb5nHc1dFg7jKa4eUo6iZr0tQyM"

SCAN_REQUEST: Any = {"code": QR, "gate": "G1", "event": 2}

ADMITTED: Any = {"result": "admitted", "ticket": 1, "event": 2, "zone": "Platea",
                 "seat": "A1", "entries": 1, "max_entries": 1}

EXITED: Any = {"result": "exited", "ticket": 1, "event": 2, "zone": "Platea",
               "seat": "A1", "entries": 1, "max_entries": 2}

ALREADY_ADMITTED: Any = {"detail": "This ticket has already been used to enter.",
                         "code": "already_admitted",
                         "first_admitted_at": "2026-12-19T19:42:10-04:00", "gate": "G1",
                         "by": "porton1"}

TICKET_VOID: Any = {"detail": "This ticket was refunded and is no longer valid.",
                    "code": "ticket_void"}

UNKNOWN_TICKET: Any = {"detail": "This is not a ticket of this venue: do not let the holder "
                                 "in.", "code": "unknown_ticket"}

WRONG_EVENT: Any = {"detail": "This ticket is for another event.", "code": "wrong_event",
                    "ticket_event": 3}

NOT_INSIDE: Any = {"detail": "This ticket is not inside: there is no entry to record an "
                             "exit for.", "code": "not_inside", "entries": 1}

SCAN: Any = {"id": 41, "ticket": 1, "code": QR, "action": "entry", "gate": "G1",
             "device": "PUERTA-NORTE-1", "user": "porton1", "result": "admitted",
             "reason": "", "created_at": "2026-12-19T19:42:10-04:00"}

STATS: Any = {"event": 2, "expected": 180, "admitted": 97,
              "zones": [{"zone": 3, "name": "Platea", "expected": 120, "admitted": 71},
                        {"zone": 4, "name": "Balcón", "expected": 60, "admitted": 26}]}
