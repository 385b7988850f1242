"""Property-based tests of the running API against its own OpenAPI document.

Schemathesis generates requests from ``/openapi.json`` (valid and invalid ones) for every
operation, as a signed-in operator and anonymously, and checks each answer: never a
5xx, a documented status, content type and headers, and a body matching the schema.

The server runs in the test's event loop, so the generated requests (schemathesis sends
them with ``requests``, blocking) are made from a worker thread.
"""

from __future__ import annotations

import asyncio

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from storage.enums import AttachmentKind
from storage.services.attachments import AttachmentService
from tests.admin_api.helpers import Api
from tests.storage.helpers import submit

# Schemathesis sends its requests with `requests`, a client in another thread: a real
# server. Slow: hundreds of generated requests (make check leaves it to make test).
pytestmark = [pytest.mark.real_http, pytest.mark.slow]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Modest, and fixed: the same requests every run.
EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 5}
LAST = "POST /api/v1/auth/logout"  # signs the operator out, so it runs after the rest


def run_operation(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str],
    refs: list[str],
    seen: list[tuple[str, int]],
) -> None:
    path_parameters = operation.path_parameters
    pins_ref = any(p.name == "ref" for p in path_parameters)

    @hypothesis.settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), ref=st.sampled_from(refs))
    def check(case: Case, ref: str) -> None:
        if pins_ref and mode is GenerationMode.POSITIVE:
            # Real refs reach past the lookup: a standard case, a sensitive one (invisible
            # to an operator) and one that does not exist.
            case.path_parameters = {**(case.path_parameters or {}), "ref": ref}
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        seen.append((operation.label, response.status_code))
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        check()
    except Unsatisfiable:
        # Nothing in the operation can be made invalid (no parameters, no body).
        if mode is not GenerationMode.NEGATIVE:
            raise


async def fuzz(api: Api, headers: dict[str, str], refs: list[str]) -> set[tuple[str, int]]:
    document = (await api.http.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: op.label == LAST)
    seen: list[tuple[str, int]] = []

    def run_all() -> None:
        for operation in operations:
            for mode in EXAMPLES:
                run_operation(operation, mode, api.base_url, headers, refs, seen)

    await asyncio.to_thread(run_all)
    assert len(operations) >= 17
    return set(seen)


async def seed(api: Api) -> list[str]:
    staged = await AttachmentService(api.core).stage(
        kind=AttachmentKind.DOCUMENT, mime_type="text/plain", data=b"hello", filename="a.txt"
    )
    standard = await submit(api.core, attachments=[staged])
    sensitive = await submit(api.core, category="trafficking", narrative="Забрали паспорт")
    return [standard.ref, sensitive.ref, "HL-2026-999999"]


async def test_the_api_keeps_its_own_schema_for_an_operator(api: Api) -> None:
    refs = await seed(api)
    await api.add_staff("operator", "operator")
    answers = await fuzz(api, api.headers("operator"), refs)
    # The generated requests reached the routes, not only the validation layer.
    assert ("POST /api/v1/auth/token", 422) in answers
    assert ("POST /api/v1/auth/token", 401) in answers
    assert ("GET /api/v1/cases", 200) in answers
    assert ("GET /api/v1/cases", 422) in answers
    assert ("GET /api/v1/cases/{ref}", 200) in answers
    assert ("GET /api/v1/cases/{ref}", 404) in answers


# A stranger's requests are answered before any query of the cases (401, or 422 for a
# body that is not even JSON), so one engine says all; the operator's run covers both.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_api_keeps_its_own_schema_for_a_stranger(api: Api) -> None:
    refs = await seed(api)
    answers = await fuzz(api, {}, refs)
    assert ("POST /api/v1/auth/token", 422) in answers
    assert ("POST /api/v1/auth/token", 401) in answers
    # Nothing is looked up for a stranger: only 401, or 422 for a body that is not
    # even JSON (parsed before anything else).
    case_answers = {status for label, status in answers if "/cases" in label}
    assert 401 in case_answers and case_answers <= {401, 422}
