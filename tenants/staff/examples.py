"""OpenAPI example values of the staff endpoints (drf-spectacular)."""

from __future__ import annotations

from typing import Any

STAFF: Any = {'id': 7,
 'username': 'cajera2',
 'name': 'María Pérez',
 'role': 'cashier',
 'is_active': True,
 'last_login': None,
 'date_joined': '2026-11-30T21:41:34-04:00',
 'tokens': [{'id': 31, 'terminal': 'Caja 2', 'created': '2026-11-30T22:05:10-04:00',
             'expiry': None}]}

STAFF_CREATE: Any = {'username': 'cajera2', 'name': 'María Pérez', 'role': 'cashier',
                     'password': 'una-clave-larga'}

STAFF_CREATED: Any = {**STAFF, 'tokens': []}

STAFF_PATCH: Any = {'role': 'door'}

STAFF_PASSWORD: Any = {'password': 'otra-clave-larga'}

LAST_VENUE_ADMIN: Any = {
    'detail': 'The venue must keep at least one active venue admin: make someone else venue '
              'admin first.',
    'code': 'last_venue_admin'}

NO_SUCH_TOKEN: Any = {'detail': 'No such token for this staff member.', 'code': 'not_found'}

USERNAME_TAKEN: Any = {'detail': "The username 'cajera2' is taken.", 'code': 'username_taken',
                       'field': 'username'}
