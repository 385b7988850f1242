"""Errors as JSON with stable codes, decided in one place; a complete OpenAPI document;
logs that carry event names and staff ids, never bodies, narratives or tokens."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import storage.errors
from admin_api.errors import DOMAIN_STATUS, status_for
from storage.enums import Sort
from storage.errors import DomainError
from storage.services.triage import TriageService
from tests.admin_api.helpers import PASSWORD, Api
from tests.storage.helpers import submit

MAPPED = {404, 422, 409, 412, 429, 401, 403}
CLIENT_LOGGERS = ("httpx", "httpcore")  # the test's own client, not the server


def server_logs(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the server side logged: messages and formatted tracebacks."""
    handler = logging.StreamHandler()
    lines = []
    for record in caplog.records:
        if not record.name.startswith(CLIENT_LOGGERS):
            lines.append(handler.format(record))
    return "\n".join(lines)


def all_domain_errors() -> list[type[DomainError]]:
    found: list[type[DomainError]] = []
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_domain_error_has_its_status() -> None:
    errors = [cls for cls in all_domain_errors() if cls is not DomainError]
    assert len(errors) >= 30
    for cls in errors:
        error = cls.__new__(cls)  # the status depends on the class alone
        assert status_for(error) in MAPPED, cls
    assert set(DOMAIN_STATUS.values()) == MAPPED
    assert status_for(storage.errors.CaseNotFound("x")) == 404
    assert status_for(storage.errors.StaleVersion(1)) == 412
    assert status_for(storage.errors.IllegalTransition("new", "closed", [])) == 409
    assert status_for(storage.errors.InvalidCursor()) == 422
    assert status_for(storage.errors.InvalidSort("sideways")) == 422


async def test_the_worklist_offers_exactly_the_sorts_storage_knows(api: Api) -> None:
    document = (await api.http.get("/openapi.json")).json()
    assert document["components"]["schemas"]["Sort"]["enum"] == [s.value for s in Sort]


async def test_framework_errors_are_json_too(staffed: Api) -> None:
    api = staffed
    missing = await api.http.get("/api/v1/nothing-here")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    wrong_method = await api.call("DELETE", "/api/v1/cases", "operator")
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "method_not_allowed")
    assert "GET" in wrong_method.headers["Allow"]


async def test_validation_errors_keep_only_loc_msg_and_type(staffed: Api) -> None:
    api = staffed
    secret = "correct-horse-battery-staple"
    response = await api.call(
        "POST",
        "/api/v1/users",
        "admin",
        json={"username": "x" * 100, "password": secret[:6], "role": "god", "token": secret},
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"code", "detail", "errors"} and body["code"] == "validation_error"
    assert {tuple(e["loc"]) for e in body["errors"]} == {
        ("body", "username"),
        ("body", "password"),
        ("body", "role"),
        ("body", "token"),
    }
    for error in body["errors"]:
        assert set(error) == {"loc", "msg", "type"}
    assert secret[:6] not in response.text and "xxxxx" not in response.text


async def test_an_unexpected_failure_is_a_bare_500_logged_without_its_message(
    staffed: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    api = staffed
    made = await submit(api.core)
    narrative = "Видали менше продуктів"

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        # As a database error would read: the SQL and its parameters.
        raise RuntimeError(f"SELECT … [parameters: ({narrative!r},)]")

    monkeypatch.setattr(TriageService, "detail", broken)
    with caplog.at_level(logging.DEBUG):
        response = await api.call("GET", f"/api/v1/cases/{made.ref}", "operator")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "продуктів" not in response.text
    logged = server_logs(caplog)
    assert "unhandled_error route=/api/v1/cases/{ref} error=RuntimeError" in logged
    assert "продуктів" not in logged and made.ref not in logged


async def test_logs_hold_no_bodies_narratives_or_tokens(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    narrative = "Вимагали хабар за включення до списку"
    made = await submit(api.core, category="fraud_corruption", narrative=narrative)
    # INFO: drivers log SQL with its parameters at DEBUG, and the process's logging setup
    # (bot.logs.configure_logging) keeps every third-party logger below WARNING out.
    with caplog.at_level(logging.INFO):
        await api.add_staff("focal", "focal_point")
        await api.login("focal", "wrong-" + PASSWORD)
        await api.call("GET", f"/api/v1/cases/{made.ref}", "focal")
        await api.call("GET", "/api/v1/cases", "focal", params={"q": "хабар"})
        await api.call("POST", f"/api/v1/cases/{made.ref}/notes", "focal", json={"text": "Нотатка"})
        await api.call("POST", "/api/v1/auth/logout", "focal")
    logged = server_logs(caplog)
    assert "signed_in user_id=" in logged
    for secret in (narrative, "хабар", "Нотатка", PASSWORD, api.tokens["focal"], made.ref):
        assert secret not in logged, secret


async def test_the_openapi_document_is_complete(api: Api) -> None:
    document = (await api.http.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        return schemas[ref.rsplit("/", 1)[1]] if ref else schema

    public = {"/healthz", "/readyz", "/api/v1/auth/token", "/api/v1/public/summary"}
    operations = [
        (path, method, op)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    ]
    # 25 + partners, referrals, outcomes (6) + reclassify, exclusions (2) + reply templates
    # (4) + bulk changes (1) + feedback points (2) + a feedback point's results (1)
    assert len(operations) == 41
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        responses = op["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert len(success) == 1, where
        if path not in public:
            assert "401" in responses and op.get("security"), where
        if "requestBody" in op:
            assert {"413", "422"} <= set(responses), where
            for content in op["requestBody"]["content"].values():
                assert resolve(content["schema"]).get("additionalProperties") is False, where
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                schema = resolve(response["content"]["application/json"]["schema"])
                assert {"code", "detail"} <= set(schema["properties"]), (where, code)
