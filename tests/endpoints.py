"""Every URL the tenant host serves (outside the prefixes the role matrix leaves out), for
the role, isolation and fuzz tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tenants.permissions import OUTSIDE_MATRIX

MISSING_ID = "999999"


@dataclass(frozen=True)
class Endpoint:
    route: str
    view_name: str | None
    path: str | None
    methods: frozenset[str] | None  # None: a function view, methods not introspectable
    pattern: URLPattern

    @property
    def takes_id(self) -> bool:
        return bool(kwargs_for(self.pattern))

    def path_with(self, value: int | str) -> str:
        return reverse(self.view_name, urlconf="pos.urls",
                       kwargs=kwargs_for(self.pattern, str(value)))


def kwargs_for(pattern: URLPattern, value: str = MISSING_ID) -> dict[str, str]:
    converters = getattr(pattern.pattern, "converters", {})
    if converters:
        values = {"IntConverter": value, "UUIDConverter": str(uuid.uuid4())}
        return {name: values.get(type(conv).__name__, "zzz")
                for name, conv in converters.items()}
    return {name: value for name in pattern.pattern.regex.groupindex}


def _methods_of(callback) -> frozenset[str] | None:
    actions = getattr(callback, "actions", None)
    if actions:
        return frozenset(method.upper() for method in actions)
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return None
    return frozenset(
        m.upper() for m in view_class.http_method_names
        if m not in ("head", "options") and hasattr(view_class, m)
    )


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        else:
            yield prefix + str(entry.pattern), namespace, entry


def tenant_endpoints() -> list[Endpoint]:
    """Every URL of the tenant urlconf, outside the prefixes the matrix leaves out."""
    found = []
    for route, namespace, pattern in _walk(get_resolver("pos.urls").url_patterns):
        clean = route.lstrip("^")
        if any(clean.startswith(prefix) for prefix in OUTSIDE_MATRIX):
            continue
        view_name = f"{namespace}{pattern.name}" if pattern.name else None
        path = reverse(view_name, urlconf="pos.urls", kwargs=kwargs_for(pattern)) \
            if view_name else None
        found.append(Endpoint(route=route, view_name=view_name, path=path,
                              methods=_methods_of(pattern.callback), pattern=pattern))
    return found
