"""Limits on what a client can make the API parse or query (body size and depth,
pagination), and the error answers every endpoint documents because of them and because
of authentication and the role matrix.

DRF's JSONParser reads the request stream directly, so Django's
DATA_UPLOAD_MAX_MEMORY_SIZE never applies to API bodies, and a deeply nested JSON body
overflows the Python stack (RecursionError, a 500). BoundedJSONParser reads at most the
limit (413 beyond it) and refuses JSON nested deeper than API_MAX_JSON_DEPTH (400)."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def json_depth(value: Any) -> int:
    """Nesting depth of parsed JSON, computed without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit // 1024} KiB.")
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            # RecursionError: nesting deep enough to overflow the parser itself.
            raise ParseError(f"JSON parse error - {str(exc)[:200]}") from exc
        if json_depth(data) > settings.API_MAX_JSON_DEPTH:
            raise ParseError(
                f"JSON nested more than {settings.API_MAX_JSON_DEPTH} levels deep."
            )
        return data


# --- OpenAPI: the error answers of every operation -------------------------------------

ERROR_COMPONENT = {
    "type": "object",
    "description": "`{detail, code}`; a validation error names each field instead.",
    # Untyped: a validation error may name a field called "detail" or "code".
    "properties": {"detail": {}, "code": {}},
    "additionalProperties": True,
}
_ERROR_DESCRIPTIONS = {
    "400": "Invalid request: `{detail, code}` or field errors",
    "401": "Not authenticated (no, invalid or other tenant's credentials)",
    "403": "Authenticated, but the role matrix does not allow this",
    "404": "No such object (or not visible to this user)",
    "413": "Request body too large",
    "409": "In use: it has sales, holds or seats and cannot be deleted",
    "415": "Unsupported media type (send application/json)",
    "429": "Too many attempts; retry after the Retry-After header",
}
_BODY_METHODS = {"post", "put", "patch"}


def _url_name(path: str) -> str | None:
    try:
        return resolve(re.sub(r"\{[^}]+\}", "1", path)).view_name
    except Resolver404:
        return None


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the errors every operation can answer
    (authentication and roles from the role matrix, parsing limits, missing objects)."""
    from tenants.permissions import ANONYMOUS, allowed_audience

    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        url_name = _url_name(path)
        for method, operation in operations.items():
            audience = allowed_audience(url_name, method.upper()) or frozenset()
            codes = {"400"}
            if ANONYMOUS not in audience:
                codes |= {"401", "403"}
            if "{" in path:
                codes.add("404")
            if method in _BODY_METHODS:
                codes |= {"413", "415"}
            if url_name == "auth-token":
                codes.add("429")
            if method == "delete":  # protected foreign keys (pos.api.exception_handler)
                codes.add("409")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(code, {"description": _ERROR_DESCRIPTIONS[code]})
            for code, documented in responses.items():
                if code[0] in "45" and "content" not in documented:
                    documented["content"] = error_ref
    return result


# --- Pagination ------------------------------------------------------------------------

class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """LimitOffsetPagination with a ceiling on `limit` and `offset`: without one a huge
    value reached PostgreSQL as an out-of-range bigint (a 500, found by fuzzing)."""

    max_limit = 1000
    max_offset = 10**12

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), self.max_offset)
