"""The key a venue organisation signs its gates' check-in lists with (Ed25519).

A gate device must trust a list it reads offline, so the list is signed asymmetrically:
the device holds only the public key, which cannot sign. The private key is derived from
the project's SECRET_KEY and the tenant's schema (HMAC-SHA256), so nothing is stored and
every web process derives the same key; another organisation's key is another key.
Rotating SECRET_KEY changes the key (and every printed QR, sales.tickets): devices then
pin the new public key from GET /api/checkin/key/."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import connection

ALGORITHM = "Ed25519"


def _private_key(schema: str) -> Ed25519PrivateKey:
    seed = hmac.new(settings.SECRET_KEY.encode(), f"checkin-list:{schema}".encode(),
                    hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def canonical_json(payload: Any) -> bytes:
    """The bytes a signature covers: JSON with sorted keys, no spaces, UTF-8 (not
    \\u-escaped). A device re-serialises the `list` it received the same way."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def public_key_info(schema: str | None = None) -> dict[str, str]:
    """What a device pins: the algorithm, the raw 32-byte public key in base64, and its
    id (the first 16 hex digits of the key's SHA-256)."""
    raw = _private_key(schema or connection.schema_name).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)
    return {"algorithm": ALGORITHM, "public_key": _b64(raw),
            "key_id": hashlib.sha256(raw).hexdigest()[:16]}


def sign(payload: Any, *, schema: str | None = None) -> str:
    """The base64 Ed25519 signature of the payload's canonical JSON."""
    return _b64(_private_key(schema or connection.schema_name).sign(canonical_json(payload)))


def verify(payload: Any, signature: str, public_key: str) -> bool:
    """Whether `signature` is the key's over the payload (what a device does)."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(signature), canonical_json(payload))
    except (InvalidSignature, ValueError):  # (malformed base64 is a ValueError)
        return False
    return True
