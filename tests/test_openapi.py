"""The OpenAPI schema (drf-spectacular): generated without a warning, valid OpenAPI 3, and
every operation shows an example: of its request body when it takes one, and of its
success answer (for a DELETE, whose 204 has no body: of its refusal)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def generated() -> tuple[dict[str, Any], list[str]]:
    """The schema as served to a tenant host, and the warnings and errors raised making it."""
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, problems


def _has_examples(content: dict[str, Any]) -> bool:
    return any(media.get("examples") or "example" in media for media in content.values())


def _missing_examples(operation: dict[str, Any]) -> list[str]:
    missing = []
    body = operation.get("requestBody")
    if body and not _has_examples(body.get("content", {})):
        missing.append("request body")
    responses = operation.get("responses", {})
    success = {code: r for code, r in responses.items() if code.startswith("2")}
    with_body = {code: r for code, r in success.items() if r.get("content")}
    if with_body:
        if not any(_has_examples(r["content"]) for r in with_body.values()):
            missing.append(f"success answer ({', '.join(sorted(with_body))})")
    elif not any(_has_examples(r.get("content", {})) for r in responses.values()):
        missing.append("any answer")
    return missing


def test_every_operation_has_request_and_response_examples(generated):
    schema, _problems = generated
    missing = []
    count = 0
    for path, operations in schema["paths"].items():
        for method in METHODS:
            if method in operations:
                count += 1
                gaps = _missing_examples(operations[method])
                if gaps:
                    missing.append(f"{method.upper()} {path}: no example of {', '.join(gaps)}")
    assert count > 60  # the whole API was generated, not an empty schema
    assert not missing, "Add OpenApiExample(s) to:\n" + "\n".join(missing)


def test_schema_generates_without_warnings_and_is_valid_openapi(generated):
    schema, problems = generated
    assert problems == [], "drf-spectacular warnings/errors:\n" + "\n".join(problems)
    validate_schema(schema)  # raises on anything that is not OpenAPI 3


def test_the_spectacular_command_validates_and_fails_on_no_warning(tmp_path, capsys):
    """What CI runs: `manage.py spectacular --validate --fail-on-warn`."""
    GENERATOR_STATS.reset()
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    captured = capsys.readouterr()
    assert "Warning" not in captured.err + captured.out
    assert "/api/reservations/extend/{job_id}/" in out.read_text()


def test_examples_are_realistic_for_a_venezuelan_venue(generated):
    schema, _problems = generated
    hold = schema["paths"]["/api/holds/"]["post"]["responses"]["201"]["content"][
        "application/json"]["examples"]
    value = next(iter(hold.values()))["value"]
    assert value["currency"] == "USD"
    assert [item["label"] for item in value["items"]][:2] == ["A1", "A2"]
    quote = schema["paths"]["/api/holds/{id}/quote/"]["post"]["responses"]["200"]["content"][
        "application/json"]["examples"]
    breakdown = next(iter(quote.values()))["value"]
    assert breakdown["total_ves"] and breakdown["igtf_ves"]  # bolívares, with IGTF
