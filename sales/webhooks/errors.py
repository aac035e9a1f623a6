"""Why a webhook request is refused. The wording venue admins see lives here."""

from __future__ import annotations

from pos.errors import Conflict, DomainError, NotFound


class UnsafeUrl(DomainError):
    code = "unsafe_url"
    default_message = "Webhooks cannot be sent to this URL."


class EndpointNotFound(NotFound):
    code = "endpoint_not_found"
    default_message = "No such webhook endpoint."


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    default_message = "No such webhook delivery."


class EndpointInactive(Conflict):
    code = "endpoint_inactive"
    default_message = "This endpoint is deactivated: activate it before sending to it."
