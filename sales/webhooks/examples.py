"""OpenAPI example values of the webhook endpoints (drf-spectacular)."""

from __future__ import annotations

from typing import Any

ENDPOINT_REQUEST: Any = {"url": "https://erp.example.com/hooks/pos",
                         "events": ["sale.completed", "ticket.refunded"],
                         "description": "ERP: invoices and refunds", "is_active": True}

ENDPOINT: Any = {"id": 3, "url": "https://erp.example.com/hooks/pos",
                 "events": ["sale.completed", "ticket.refunded"],
                 "description": "ERP: invoices and refunds", "is_active": True,
                 "secret_hint": "…q8Zk", "previous_secret_expires_at": None,
                 "created_by": "admin", "created_at": "2026-12-01T10:00:00-04:00",
                 "updated_at": "2026-12-01T10:00:00-04:00"}

SECRET = "whsec_2vQy7bL0c9kXr4mT1pN8sW3eH6jA5dF0gU7iO2zC_q8Zk"

ENDPOINT_CREATED: Any = {**ENDPOINT, "secret": SECRET}

ENDPOINT_PATCH: Any = {"is_active": False}

ROTATE_REQUEST: Any = {"grace_hours": 24}

ROTATED: Any = {**ENDPOINT, "secret": "whsec_Hn3xV8pQ1sL6tY0wB4kR9mC2fJ7dZ5aE-gT1oU3iXw9",
                "secret_hint": "…iXw9",
                "previous_secret_expires_at": "2026-12-03T10:00:00-04:00"}

UNSAFE_URL: Any = {"url": ["intranet.example resolves to a private, loopback or "
                           "link-local address (10.0.0.7); webhooks go to public "
                           "addresses only."]}

EVENT_ID = "5b0f7c8e-2a41-4d3e-9a51-0c7f1e2d3b4a"

DELIVERY: Any = {"id": 41, "endpoint": 3, "endpoint_url": "https://erp.example.com/hooks/pos",
                 "event_type": "sale.completed", "event_id": EVENT_ID,
                 "status": "succeeded", "attempts": 2, "next_attempt_at": None,
                 "last_status_code": 200, "replay_of": None,
                 "created_at": "2026-12-19T19:02:11-04:00",
                 "finished_at": "2026-12-19T19:02:44-04:00"}

PAYLOAD: Any = {
    "id": EVENT_ID, "type": "sale.completed", "created": "2026-12-19T19:02:11-04:00",
    "data": {"transaction": {
        "id": 812, "status": "completed",
        "event": {"id": 2, "name": "Concierto de Año Nuevo",
                  "starts_at": "2026-12-31T21:00:00-04:00"},
        "customer": {"name": "María Pérez", "tax_id": "V12345678",
                     "email": "maria@example.com"},
        "cashier": "cajero1", "currency": "USD", "subtotal": "50.00",
        "payment_deadline": None, "created_at": "2026-12-19T19:01:40-04:00",
        "completed_at": "2026-12-19T19:02:11-04:00",
        "items": [{"zone": "Platea", "seat": "A1", "quantity": 1, "unit_price": "25.00",
                   "status": "completed"},
                  {"zone": "Platea", "seat": "A2", "quantity": 1, "unit_price": "25.00",
                   "status": "completed"}],
        "tickets": [{"id": 1501, "zone": "Platea", "seat": "A1", "price": "25.00"},
                    {"id": 1502, "zone": "Platea", "seat": "A2", "price": "25.00"}],
        "invoice": {"id": 77, "kind": "invoice", "number": "A-00000077",
                    "control_number": "00-00000077",
                    "issued_at": "2026-12-19T19:02:11-04:00", "foreign_currency": "USD",
                    "exchange_rate": "100.000000", "total_ves": "5800.00",
                    "igtf_ves": "0.00", "amount_due_ves": "5800.00",
                    "total_foreign": "58.00", "amount_due_foreign": "58.00"}}}}

DELIVERY_DETAIL: Any = {
    **DELIVERY, "requested_by": None, "payload": PAYLOAD, "body": "{\"id\":\"5b0f…\"}",
    "attempt_log": [
        {"number": 1, "started_at": "2026-12-19T19:02:11-04:00", "duration_ms": 143,
         "status_code": 500, "response_body": "upstream database unavailable",
         "error": "HTTP 500"},
        {"number": 2, "started_at": "2026-12-19T19:02:44-04:00", "duration_ms": 61,
         "status_code": 200, "response_body": "ok", "error": ""}]}

REPLAYED: Any = {**DELIVERY, "id": 57, "status": "pending", "attempts": 0,
                 "next_attempt_at": "2026-12-20T09:15:00-04:00", "last_status_code": None,
                 "replay_of": 41, "created_at": "2026-12-20T09:15:00-04:00",
                 "finished_at": None}

PING: Any = {**REPLAYED, "id": 58, "event_type": "ping",
             "event_id": "0d9c3e1a-7b25-4f68-8e0c-1a2b3c4d5e6f", "replay_of": None}

ENDPOINT_INACTIVE: Any = {"detail": "This endpoint is deactivated: activate it before "
                                    "sending to it.", "code": "endpoint_inactive"}
