"""OpenAPI example values of the tenant endpoints (drf-spectacular), taken from a
real demo tenant's answers."""

from __future__ import annotations

from typing import Any

TOKEN_REQUEST: Any = {'username': 'cajera1', 'password': 'una-clave-larga',
                      'terminal': 'Caja 2'}

TOKEN: Any = {'token': '4f0c2b7e9a1d3c5b8e6f0a2d4c6b8e0f1a3c5e7d9b1f3a5c7e9d1b3f5a7c9e1d',
              'terminal': 'Caja 2',
              'created': '2026-11-30T21:41:34-04:00',
              'expiry': None}

NOT_AUTHENTICATED: Any = {'detail': 'Authentication credentials were not provided.'}

SETTINGS: Any = {'reservation_hold_minutes': 10,
 'partial_payment_hours': 72,
 'max_reservations_per_session': 10,
 'cleanup_interval_minutes': 5,
 'allow_hold_extension': True,
 'min_down_payment_percent': '10.00',
 'max_change_usd': '100.00',
 'time_zone': 'America/Caracas',
 'max_granted_hold_minutes': 240,
 'reservation_reminder_hours': 24,
 'mail_language': 'es',
 'updated_at': '2026-11-30T21:41:34-04:00'}

SETTINGS_PATCH: Any = {'reservation_hold_minutes': 5, 'partial_payment_hours': 48}
