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
                         "by": "porton1", "zone": "Platea", "seat": "A1"}

TICKET_VOID: Any = {"detail": "This ticket was refunded and is no longer valid.",
                    "code": "ticket_void", "zone": "Platea", "seat": "A1"}

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

PUBLIC_KEY: Any = {"algorithm": "Ed25519",
                   "public_key": "u7R0mJ3aQe8y1l2v0u0o4mJ6wq2Xo4z8F3oM1G0pS9c=",
                   "key_id": "4f1c2a9be07d3a51"}

CHECKIN_LIST: Any = {
    "list": {"event": 2, "event_name": "Concierto de Año Nuevo",
             "generated_at": "2026-12-19T18:00:00-04:00",
             "tickets": [
                 {"qr_sha256": "9b1f0c6e0d7a4c4b8e5c2f9d1a3b6e7f0c2d4e6f8a0b1c3d5e7f9a1b3c5d7e9f",
                  "ticket": 1, "zone": "Platea", "seat": "A1", "max_entries": 1,
                  "status": "valid", "entries": 0, "inside": False},
                 {"qr_sha256": "0e2d4c6b8a0f1e3d5c7b9a1f3e5d7c9b1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d",
                  "ticket": 2, "zone": "General", "seat": None, "max_entries": 1,
                  "status": "void", "entries": 0, "inside": False}]},
    "signature": "o3h1k0Vb7q2QfK6f1Qm8W3c9x5Zr2T0yU4pL6nB8dS1eA7gH9jK2mN4pQ6sT8vX0zC2eG4iJ6l"
                 "N8pR0tV2xZ4bQ==",
    **PUBLIC_KEY,
}

SYNC_REQUEST: Any = {"gate": "G2", "event": 2, "scans": [
    {"id": "g2-0001", "code": QR, "action": "entry",
     "scanned_at": "2026-12-19T19:41:55-04:00"},
    {"id": "g2-0002", "code": "7KQ2M9XH4T6PZR3W:pL0qR8sT1uV5wX9yZ2aB4cD6eF8gH0iJ2kL4mN6oP8q",
     "action": "entry", "scanned_at": "2026-12-19T19:43:02-04:00"},
    {"id": "g2-0003", "code": "3HJ8N2Q5V7Y9B4C6:aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ3aB4c",
     "action": "entry", "scanned_at": "2026-12-19T19:44:40-04:00"}]}

SYNCED: Any = {"results": [
    {"id": "g2-0001", "result": "admitted", "reason": "", "ticket": 1,
     "first_admitted_at": "2026-12-19T19:41:55-04:00", "gate": "G2"},
    {"id": "g2-0002", "result": "conflict", "reason": "already_admitted", "ticket": 7,
     "first_admitted_at": "2026-12-19T19:40:12-04:00", "gate": "G1"},
    {"id": "g2-0003", "result": "refused", "reason": "ticket_void", "ticket": 9,
     "first_admitted_at": None, "gate": None}]}
