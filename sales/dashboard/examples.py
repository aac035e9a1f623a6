"""OpenAPI examples of the dashboard's answers (pos.openapi)."""

from __future__ import annotations

EVENT_DASHBOARD = {
    "event": {"id": 1, "name": "Concierto de Gala", "venue": "Teatro Demo",
              "starts_at": "2026-12-20T20:00:00-04:00", "currency": "USD",
              "status": "on_sale"},
    "time_zone": "America/Caracas",
    "generated_at": "2026-12-03T10:15:00-04:00",
    "occupancy": {
        "states": ["sold", "reserved", "held", "free", "blocked"],
        "totals": {"sold": 3, "reserved": 1, "held": 2, "free": 310, "blocked": 4},
        "zones": [
            {"id": 1, "name": "Platea", "kind": "numbered", "capacity": 120,
             "counts": {"sold": 2, "reserved": 1, "held": 2, "free": 111, "blocked": 4},
             "seats": [{"id": 1, "label": "A1", "row": "A", "number": 1, "state": "sold"},
                       {"id": 2, "label": "A2", "row": "A", "number": 2, "state": "free"}]},
            {"id": 2, "name": "Balcón", "kind": "general", "capacity": 200,
             "counts": {"sold": 1, "reserved": 0, "held": 0, "free": 199, "blocked": 0}},
        ],
    },
    "sales_per_hour": [{"hour": "2026-12-03T09:00:00-04:00", "sales": 2, "tickets": 3}],
    "revenue": {
        "payments": [
            {"method": "cash", "currency": "USD", "count": 1, "amount": "40.00",
             "amount_ves": "4000.00", "change_given_ves": "0.00"},
            {"method": "cash", "currency": "VES", "count": 0, "amount": "-512.00",
             "amount_ves": "-512.00", "change_given_ves": "512.00"},
            {"method": "pago_movil", "currency": "VES", "count": 1, "amount": "1000.00",
             "amount_ves": "1000.00", "change_given_ves": "0.00"},
        ],
        "refunds": [{"method": "pago_movil", "currency": "VES", "count": 1,
                     "amount": "1000.00", "amount_ves": "1000.00"}],
        "credit_notes": {"count": 0, "amount_ves": "0.00"},
        "by_currency": {"USD": {"received": "40.00", "refunded": "0.00", "net": "40.00"},
                        "VES": {"received": "488.00", "refunded": "1000.00",
                                "net": "-512.00"}},
        "received_ves": "4488.00",
        "refunded_ves": "1000.00",
        "net_ves": "3488.00",
        "net_sales": {"base_total_ves": "3000.00", "exempt_ves": "0.00",
                      "iva_total_ves": "480.00", "municipal_ves": "0.00",
                      "total_ves": "3480.00", "igtf_ves": "8.00",
                      "amount_due_ves": "3488.00"},
    },
    "holds": {"started": 6, "open": 1, "converted": 3, "expired": 1, "released": 1,
              "abandoned": 2, "conversion_rate": 0.6, "abandonment_rate": 0.4},
}

UNKNOWN_EVENT = {"detail": "There is no event 999.", "code": "unknown_event",
                 "event": "999"}
INVALID_DAY = {"detail": "'2026-13-40' is not a day: write it as YYYY-MM-DD "
                         "(e.g. 2026-12-03).", "code": "invalid_day", "day": "2026-13-40"}
