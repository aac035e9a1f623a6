"""Helpers for the OpenAPI examples (drf-spectacular): every operation documents a request
example when it takes a body and an example of its success answer (tests/test_openapi.py).
The values live in each app's `examples.py`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

# `{detail, code}`; named as the component pos.limits.document_error_responses defines.
# The answer of every refusal, in the schema of each operation.
ERROR = OpenApiResponse(description="`{detail, code}` naming what was wrong")
ERROR_SERIALIZER = inline_serializer("Error", {"detail": serializers.CharField(),
                                              "code": serializers.CharField()})
IN_USE = {"detail": "This is in use (it has sales, holds or seats) and cannot be deleted.",
          "code": "in_use"}


def request_example(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


def response_example(name: str, value: Any, *, status: int = 200,
                     media_type: str | None = None) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status)],
                          media_type=media_type)


def viewset_examples(noun: str, item: dict[str, Any], *, create: dict[str, Any] | None = None,
                     patch: dict[str, Any] | None = None,
                     actions: tuple[str, ...] = ("list", "create", "retrieve", "update",
                                                 "partial_update", "destroy"),
                     refused: dict[str, Any] | None = None,
                     serializer: type[serializers.BaseSerializer] | None = None,
                     ) -> dict[str, Any]:
    """`extend_schema_view` arguments giving a model viewset's actions their examples:
    `item` as answered (a list wraps it in its page), `create` the body of a POST and PUT,
    `patch` the body of a PATCH. DELETE answers 204 without a body: its example is the
    409 of an object still in use (pos.api). `refused`: the 409 a PUT or PATCH of the
    viewset's `serializer` may answer (a change to what is already sold, say)."""
    create = create if create is not None else {k: v for k, v in item.items() if k != "id"}
    patch = patch or {}
    per_action = {
        "list": [response_example(f"{noun}s", item)],
        "create": [request_example(f"New {noun.lower()}", create),
                   response_example(f"{noun} created", item, status=201)],
        "retrieve": [response_example(noun, item)],
        "update": [request_example(f"{noun}, every field", create),
                   response_example(f"{noun} replaced", {**item, **create})],
        "partial_update": [request_example(f"Change some fields of a {noun.lower()}", patch),
                           response_example(f"{noun} changed", {**item, **patch})],
    }
    if refused is not None:
        for action in ("update", "partial_update"):
            per_action[action].append(response_example(f"{noun} change refused", refused,
                                                       status=409))
    views = {action: extend_schema(examples=per_action[action])
             for action in actions if action != "destroy"}
    if refused is not None:
        for action in ("update", "partial_update"):
            if action in views:
                views[action] = extend_schema(
                    responses={200: serializer, 409: OpenApiResponse(
                        ERROR_SERIALIZER, description="Refused: it would change what is "
                                                      "already held or sold")},
                    examples=per_action[action])
    if "destroy" in actions:
        views["destroy"] = extend_schema(
            responses={204: None, 409: OpenApiResponse(
                ERROR_SERIALIZER, description="In use: it has sales, holds or seats")},
            examples=[response_example(f"{noun} still in use", IN_USE, status=409)])
    return views


class TokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Token <token>` (tenants.identity.CachedTokenAuthentication, a
    django-rest-knox token), under the name the schema has always used."""

    target_class = "tenants.identity.CachedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization",
                                                   token_prefix="Token")
