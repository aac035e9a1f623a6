"""OpenAPI example values of the seat-block endpoints (drf-spectacular)."""

from __future__ import annotations

from typing import Any

BLOCK_BY_IDS: Any = {"seat_ids": [101, 102], "reason": "Prensa"}
BLOCK_BY_ROWS: Any = {"zone": 5, "rows": "A-B", "reason": "Cámara de TV (technical kill)"}
BLOCK_BY_RANGE: Any = {"zone": 5, "seats": "C1-C4,D7", "reason": "Asientos de la casa"}
RELEASE: Any = {"zone": 5, "seats": "C1-C4", "reason": "Liberados para la venta"}

BLOCKED: Any = {
    "event": 2, "action": "block", "reason": "Asientos de la casa", "log": 12,
    "seats": [{"id": 121, "label": "C1"}, {"id": 122, "label": "C2"}],
    "unchanged": [{"id": 123, "label": "C3"}],
}
UNBLOCKED: Any = {
    "event": 2, "action": "unblock", "reason": "Liberados para la venta", "log": 13,
    "seats": [{"id": 121, "label": "C1"}, {"id": 122, "label": "C2"}], "unchanged": [],
}
NOT_BLOCKABLE: Any = {
    "detail": "These seats are held or sold and cannot be blocked: C1 (reserved), C2 (sold). "
              "Nothing was blocked; release the hold (or refund the sale) first, or leave "
              "them out.",
    "code": "seats_not_blockable",
    "seats": [{"id": 121, "label": "C1", "reason": "reserved"},
              {"id": 122, "label": "C2", "reason": "sold"}],
}
BLOCK_LIST: Any = {
    "event": 2, "count": 1,
    "blocks": [{"seat": 121, "label": "C1", "zone": 5, "zone_name": "Platea", "row": "C",
                "number": 1, "reason": "Asientos de la casa", "blocked_by": "admin",
                "since": "2026-12-03T09:15:00-04:00", "state": "blocked"}],
}
BLOCK_LOG: Any = {
    "event": 2,
    "entries": [{"id": 13, "action": "unblock", "reason": "Liberados para la venta",
                 "seats": ["C1", "C2"], "user": "admin",
                 "created_at": "2026-12-03T10:02:00-04:00"},
                {"id": 12, "action": "block", "reason": "Asientos de la casa",
                 "seats": ["C1", "C2"], "user": "admin",
                 "created_at": "2026-12-03T09:15:00-04:00"}],
}
