"""OpenAPI examples of the alert-subscription API."""

from typing import Any

SUBSCRIPTIONS: Any = {
    "email": "operadora@teatro.example",
    "subscriptions": [
        {"kind": "payment_deadline", "label": "Partial payment expiring soon",
         "subscribed": False},
        {"kind": "contested_seat", "label": "Seat contested by several cashiers",
         "subscribed": True},
        {"kind": "high_abandonment", "label": "High abandonment rate", "subscribed": True},
    ],
}
SUBSCRIPTIONS_PUT: Any = {"kinds": ["contested_seat", "high_abandonment"]}
BAD_KIND: Any = {"kinds": {"0": ['"seat_fire" is not a valid choice.']}}
