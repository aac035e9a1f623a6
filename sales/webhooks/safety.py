"""Where a webhook may be sent: http(s) only, and never to this network's insides (the
database, Redis, a cloud's metadata service at 169.254.169.254) unless the settings allow
private addresses (POS_WEBHOOKS_ALLOW_PRIVATE, for the demo and tests; docs/security.md).

The host name is resolved and every address it resolves to is checked, at registration
and again before each attempt (a name may be re-pointed later)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from sales.webhooks.errors import UnsafeUrl


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> None:
    """Raise UnsafeUrl naming why `url` may not be called."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host name.")
    if parts.username or parts.password:
        raise UnsafeUrl("Put no user name or password in the URL; verify the signature "
                        "instead.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError) as exc:
        raise UnsafeUrl(f"The host name {parts.hostname!r} does not resolve.") from exc
    if settings.POS_WEBHOOKS_ALLOW_PRIVATE:
        return
    private = sorted({info[4][0] for info in infos if not _is_public(info[4][0])})
    if private:
        raise UnsafeUrl(f"{parts.hostname} resolves to a private, loopback or link-local "
                        f"address ({', '.join(private)}); webhooks go to public addresses "
                        f"only.")
