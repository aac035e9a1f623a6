"""OpenAPI example values of the tenant endpoints (drf-spectacular), taken from a
real demo tenant's answers."""

from __future__ import annotations

from typing import Any

TOKEN_REQUEST: Any = {'username': 'cajera1', 'password': 'una-clave-larga'}

TOKEN: Any = {'token': '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b'}

SETTINGS: Any = {'reservation_hold_minutes': 10,
 'partial_payment_hours': 72,
 'max_reservations_per_session': 10,
 'cleanup_interval_minutes': 5,
 'allow_hold_extension': True,
 'updated_at': '2026-11-30T21:41:34-04:00'}

SETTINGS_PATCH: Any = {'reservation_hold_minutes': 5, 'partial_payment_hours': 48}
