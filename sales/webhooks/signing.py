"""The signature a delivery carries, Stripe-style:

    X-POS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

One `v1=` per valid secret: during a rotation's grace period the new secret's signature
comes first, then the previous one's, so a receiver still holding the old secret verifies.
`verify_signature` is what a receiver runs (docs/webhooks.md shows the same code)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

SIGNATURE_HEADER = "X-POS-Signature"
EVENT_HEADER = "X-POS-Event"
DELIVERY_HEADER = "X-POS-Delivery"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secrets: Iterable[str], timestamp: int, body: bytes) -> str:
    """`t=<timestamp>,v1=<sig>[,v1=<sig>]` for each secret, in order."""
    return ",".join([f"t={timestamp}",
                     *(f"v1={signature(s, timestamp, body)}" for s in secrets)])


def verify_signature(secret: str, body: bytes, header: str,
                     tolerance: int = TOLERANCE_SECONDS, now: float | None = None) -> bool:
    """Whether `header` signs `body` with `secret` and was made within `tolerance`
    seconds of now (an old, replayed request fails)."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    timestamps = [v for k, v in parts if k.strip() == "t"]
    candidates = [v.strip() for k, v in parts if k.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not candidates:
        return False
    timestamp = int(timestamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
