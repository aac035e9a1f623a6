"""OpenAPI example values of the hold and operator endpoints (drf-spectacular), taken
from a real demo tenant's answers (USD prices, Bs at the BCV rate, seats A1, A2...)."""

from __future__ import annotations

from typing import Any

from sales.examples import TRANSACTION

HOLD_REQUEST: Any = {'event': 1, 'seat_ids': [1, 2], 'zones': [{'zone': 2, 'quantity': 2}]}

HOLD: Any = {'id': 1,
 'transaction': 1,
 'status': 'pending',
 'event': 1,
 'expires_at': '2026-12-01T01:51:38+00:00',
 'server_time': '2026-12-01T01:41:38+00:00',
 'extensions_left': 1,
 'total': '70.00',
 'currency': 'USD',
 'items': [{'id': 1,
            'seat': 1,
            'label': 'A1',
            'zone': 1,
            'zone_name': 'Platea',
            'quantity': 1,
            'unit_price': '25.00',
            'status': 'active',
            'reserved_until': '2026-11-30T21:51:38-04:00'},
           {'id': 2,
            'seat': 2,
            'label': 'A2',
            'zone': 1,
            'zone_name': 'Platea',
            'quantity': 1,
            'unit_price': '25.00',
            'status': 'active',
            'reserved_until': '2026-11-30T21:51:38-04:00'},
           {'id': 3,
            'seat': None,
            'label': 'Balcón × 2',
            'zone': 2,
            'zone_name': 'Balcón',
            'quantity': 2,
            'unit_price': '10.00',
            'status': 'active',
            'reserved_until': '2026-11-30T21:51:38-04:00'}]}

RELEASE_REQUEST: Any = {'seat_ids': [2]}

HOLD_AFTER_RELEASE: Any = {'id': 1,
 'transaction': 1,
 'status': 'pending',
 'event': 1,
 'expires_at': '2026-12-01T01:51:38+00:00',
 'server_time': '2026-12-01T01:41:38+00:00',
 'extensions_left': 1,
 'total': '45.00',
 'currency': 'USD',
 'items': [{'id': 1,
            'seat': 1,
            'label': 'A1',
            'zone': 1,
            'zone_name': 'Platea',
            'quantity': 1,
            'unit_price': '25.00',
            'status': 'active',
            'reserved_until': '2026-11-30T21:51:38-04:00'},
           {'id': 2,
            'seat': 2,
            'label': 'A2',
            'zone': 1,
            'zone_name': 'Platea',
            'quantity': 1,
            'unit_price': '25.00',
            'status': 'cancelled',
            'reserved_until': '2026-11-30T21:51:38-04:00'},
           {'id': 3,
            'seat': None,
            'label': 'Balcón × 2',
            'zone': 2,
            'zone_name': 'Balcón',
            'quantity': 2,
            'unit_price': '10.00',
            'status': 'active',
            'reserved_until': '2026-11-30T21:51:38-04:00'}]}

HOLD_EXTENDED: Any = {'id': 1,
 'transaction': 1,
 'status': 'pending',
 'event': 1,
 'expires_at': '2026-12-01T02:01:38+00:00',
 'server_time': '2026-12-01T01:41:38+00:00',
 'extensions_left': 0,
 'total': '45.00',
 'currency': 'USD',
 'items': [{'id': 1,
            'seat': 1,
            'label': 'A1',
            'zone': 1,
            'zone_name': 'Platea',
            'quantity': 1,
            'unit_price': '25.00',
            'status': 'active',
            'reserved_until': '2026-11-30T22:01:38-04:00'},
           {'id': 2,
            'seat': 2,
            'label': 'A2',
            'zone': 1,
            'zone_name': 'Platea',
            'quantity': 1,
            'unit_price': '25.00',
            'status': 'cancelled',
            'reserved_until': '2026-11-30T21:51:38-04:00'},
           {'id': 3,
            'seat': None,
            'label': 'Balcón × 2',
            'zone': 2,
            'zone_name': 'Balcón',
            'quantity': 2,
            'unit_price': '10.00',
            'status': 'active',
            'reserved_until': '2026-11-30T22:01:38-04:00'}]}

GRANT_REQUEST: Any = {'minutes': 120, 'reason': 'Grupo colegio San José: 2 asientos'}

# The two seats of HOLD kept two hours by a venue admin's grant (GRANT_REQUEST).
HOLD_GRANTED: Any = {
    **HOLD, "expires_at": "2026-12-01T03:41:38+00:00", "total": "50.00",
    "items": [{**item, "reserved_until": "2026-11-30T23:41:38-04:00"}
              for item in HOLD["items"] if item["seat"]],
}

GRANT_OVER_CAP: Any = {'detail': "A hold may be granted at most 240 minutes (the venue's "
                                 "max_granted_hold_minutes); 300 were asked.",
                       'code': 'grant_over_cap', 'max_granted_hold_minutes': 240,
                       'minutes': 300}

GRANT_HOLD_NOT_ACTIVE: Any = {'detail': 'Hold 1 expired at 21:51; only a live hold can be '
                                        'granted a longer time. Hold the seats again.',
                              'code': 'hold_not_active', 'status': 'expired',
                              'expired_at': '2026-12-01T01:51:38+00:00'}

HOLD_CANCELLED: Any = {'id': 2,
 'transaction': 2,
 'status': 'cancelled',
 'event': 1,
 'expires_at': None,
 'server_time': '2026-12-01T01:41:38+00:00',
 'extensions_left': 1,
 'total': '25.00',
 'currency': 'USD',
 'items': [{'id': 4,
            'seat': 13,
            'label': 'B1',
            'zone': 1,
            'zone_name': 'Platea',
            'quantity': 1,
            'unit_price': '25.00',
            'status': 'cancelled',
            'reserved_until': '2026-11-30T21:51:38-04:00'}]}

QUOTE_REQUEST: Any = {'payments': [{'method': 'cash', 'currency': 'USD', 'amount': '50.00'}]}

QUOTE: Any = {'sale_currency': 'USD',
 'exchange_rate': '100.000000',
 'lines': [{'description': 'Platea A1',
            'quantity': 1,
            'unit_price': '25.00',
            'tax_category': 'general',
            'iva_rate': '16.00',
            'base_ves': '2500.00',
            'iva_ves': '400.00'},
           {'description': 'Balcón',
            'quantity': 2,
            'unit_price': '10.00',
            'tax_category': 'general',
            'iva_rate': '16.00',
            'base_ves': '2000.00',
            'iva_ves': '320.00'}],
 'taxes': [{'category': 'general',
            'rate': '16.00',
            'base_ves': '4500.00',
            'iva_ves': '720.00'}],
 'exempt_ves': '0.00',
 'base_total_ves': '4500.00',
 'iva_total_ves': '720.00',
 'municipal_ves': '0.00',
 'total_ves': '5220.00',
 'foreign_paid_ves': '5000.00',
 'igtf_ves': '150.00',
 'amount_due_ves': '5370.00',
 'paid_ves': '5000.00',
 'balance_ves': '370.00',
 'total_sale': '52.20',
 'amount_due_sale': '53.70',
 'balance_sale': '3.70',
 'paid_in_full': False}

# The sale in the answer is the one `GET /api/transactions/{id}/` shows.
CHECKOUT_RESULT: Any = {
    "transaction": TRANSACTION,
    # The quote above, paid with USD 60.00 cash instead of 50.00.
    "breakdown": QUOTE | {'foreign_paid_ves': '6000.00',
                       'igtf_ves': '156.60',
                       'amount_due_ves': '5376.60',
                       'paid_ves': '6000.00',
                       'balance_ves': '-623.40',
                       'amount_due_sale': '53.77',
                       'balance_sale': '-6.23',
                       'paid_in_full': True},
    "replayed": False,
    "server_time": "2026-12-01T01:41:38+00:00",
}

STATS: Any = {'generated_at': '2026-12-01T01:41:39+00:00',
 'window_hours': 24,
 'tenants': [{'schema': 'demo',
              'events': [{'event': 2,
                          'name': 'Gaita Zuliana en Concierto',
                          'starts_at': '2026-12-20T00:00:00+00:00',
                          'active_holds': 0,
                          'live_reservations': 0,
                          'expiring_within_1h': 0,
                          'completed': 0,
                          'expired': 0,
                          'cancelled': 0,
                          'conversion_rate': None,
                          'holds_ended': 0,
                          'holds_abandoned': 0,
                          'abandonment_rate': None,
                          'contested_seats': []},
                         {'event': 1,
                          'name': 'Concierto de Gala',
                          'starts_at': '2026-12-31T01:41:36+00:00',
                          'active_holds': 1,
                          'live_reservations': 1,
                          'expiring_within_1h': 0,
                          'completed': 1,
                          'expired': 0,
                          'cancelled': 1,
                          'conversion_rate': 0.5,
                          'holds_ended': 3,
                          'holds_abandoned': 1,
                          'abandonment_rate': 0.3333,
                          'contested_seats': []}],
              'totals': {'active_holds': 1,
                         'live_reservations': 1,
                         'expiring_within_1h': 0,
                         'completed': 1,
                         'expired': 0,
                         'cancelled': 1,
                         'conversion_rate': 0.5,
                         'holds_ended': 3,
                         'holds_abandoned': 1,
                         'abandonment_rate': 0.3333}}]}

ALERT: Any = {'id': 7,
 'kind': 'payment_deadline',
 'status': 'acknowledged',
 'key': 'transaction:3',
 'event': 1,
 'message': 'Reservation 3 (C1, C2) must be paid off by 21:41.',
 'data': {'transaction': 3, 'deadline': '2026-12-03T21:41:38-04:00'},
 'created_at': '2026-12-03T20:45:00-04:00',
 'last_seen_at': '2026-12-03T21:00:00-04:00',
 'resolved_at': None,
 'acknowledged_at': '2026-12-03T20:52:10-04:00',
 'acknowledged_by': 'operator'}

ALERT_CONTESTED: Any = {'id': 9,
 'kind': 'contested_seat',
 'status': 'open',
 'key': 'contested:1:20261204T0000Z',
 'event': 1,
 'message': '77 seats of Concierto de Gala were refused to cashiers 3 or more times each '
            'between 20:00 and 20:15 (233 refusals); most: A1×5, A10×3, A2×3, A3×3, A4×3.',
 'data': {'seat': 1, 'label': 'A1', 'conflicts': 5, 'window_minutes': 15,
          'window_start': '2026-12-03T20:00:00-04:00',
          'window_end': '2026-12-03T20:15:00-04:00', 'min_conflicts': 3,
          'seats_contested': 77, 'refusals': 233,
          'seats': [{'seat': 1, 'label': 'A1', 'conflicts': 5},
                    {'seat': 10, 'label': 'A10', 'conflicts': 3},
                    {'seat': 2, 'label': 'A2', 'conflicts': 3}]},
 'created_at': '2026-12-03T20:05:00-04:00',
 'last_seen_at': '2026-12-03T20:10:00-04:00',
 'resolved_at': None,
 'acknowledged_at': None,
 'acknowledged_by': None}

EXTEND_PREVIEW_REQUEST: Any = {'hours': 24, 'event': 1, 'dry_run': True}

EXTEND_REQUEST: Any = {'hours': 24, 'event': 1, 'expiring_within': 12}

EXTEND_PREVIEW: Any = {'hours': 24,
 'dry_run': True,
 'job': None,
 'replayed': False,
 'reservations': 3,
 'tickets': 5}

EXTEND_JOB_QUEUED: Any = {'job': '3f9c2a7d41b0', 'status': 'queued', 'hours': 24, 'event': 1,
                          'expiring_within': 12, 'requested_by': 'operator',
                          'created_at': '2026-12-03T20:55:02-04:00', 'started_at': None,
                          'finished_at': None, 'reservations': 0, 'tickets': 0,
                          'replayed': False, 'error': ''}

EXTEND_JOB_DONE: Any = {**EXTEND_JOB_QUEUED, 'status': 'done',
                        'started_at': '2026-12-03T20:55:03-04:00',
                        'finished_at': '2026-12-03T20:55:03-04:00', 'reservations': 3,
                        'tickets': 5}

BEST_AVAILABLE_REQUEST: Any = {"event": 2, "zone": 3, "best_available": 4, "together": True}
HOLD_BLOCKED_REQUEST: Any = {"event": 2, "seat_ids": [121], "include_blocked": True}
BLOCKED_CONFLICT: Any = {
    "detail": "The following seats are not available: C1 (blocked).",
    "code": "seats_unavailable",
    "seats": [{"id": 121, "label": "C1", "reason": "blocked"}], "zones": [],
}
NO_ADJACENT_SEATS: Any = {
    "detail": "No 4 adjacent seats are free in zone Platea.", "code": "no_adjacent_seats",
    "zone": {"id": 3, "name": "Platea"}, "requested": 4,
}
