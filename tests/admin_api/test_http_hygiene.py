"""HTTP hygiene (issue 10): headers on every answer, packaged docs that are off unless
asked for, metrics on their own listener, and ``If-Match: *``."""

from __future__ import annotations

import dataclasses
import re

import httpx
import pytest

from admin_api.app import create_app
from admin_api.server import bind_socket, running_api
from storage.core import Core
from tests.admin_api.helpers import Api, version_of
from tests.storage.helpers import submit

# Headers as they reach a client over the wire, from a real server.
pytestmark = pytest.mark.real_http

V1 = "/api/v1"
STRICT = "default-src 'none'"


def assert_everywhere(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} {response.status_code}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "no-referrer", where


async def test_every_api_answer_is_no_store_errors_included(staffed: Api) -> None:
    api = staffed
    made = await submit(api.core, narrative="Нарратив")
    answers = [
        await api.call("GET", f"{V1}/me", "operator"),  # 200
        await api.call("GET", f"{V1}/cases/{made.ref}", "operator"),  # 200, a case
        await api.call("GET", f"{V1}/cases", None),  # 401
        await api.call("GET", f"{V1}/users", "operator"),  # 403
        await api.call("GET", f"{V1}/cases/HL-2026-999999", "operator"),  # 404
        await api.call("GET", f"{V1}/nothing-here", "operator"),  # 404, unmatched
        await api.call("GET", f"{V1}/cases", "operator", params={"limit": "many"}),  # 422
        await api.call("PATCH", f"{V1}/cases/{made.ref}", "operator", json={}),  # 428
        await api.call("GET", f"{V1}/public/summary", None),  # 200, public
        await api.login("operator", "wrong-password-here"),  # 401
    ]
    assert {r.status_code for r in answers} >= {200, 401, 403, 404, 422, 428}
    for response in answers:
        assert response.headers.get("Cache-Control") == "no-store", response.request.url
        assert_everywhere(response)


async def test_nosniff_and_no_referrer_everywhere_and_a_strict_policy_on_html(
    api: Api,
) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/no/such/page"):
        assert_everywhere(await api.http.get(path))
    for path in ("/transparency", "/console/sign-in"):
        page = await api.http.get(path)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert_everywhere(page)
        assert page.headers["Content-Security-Policy"].startswith(STRICT), path


async def test_console_pages_are_never_stored_and_its_static_files_are_revalidated(
    api: Api,
) -> None:
    page = await api.http.get("/console/sign-in")
    assert page.headers["Cache-Control"] == "no-store"
    assets = re.findall(r'(?:src|href)="(/console/static/[^"]+)"', page.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for path in assets:
        first = await api.http.get(path)
        assert first.status_code == 200, path
        assert first.headers["Cache-Control"] == "no-cache", path  # kept, asked again
        assert_everywhere(first)
        again = await api.http.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert (again.status_code, again.content) == (304, b""), path


async def test_docs_are_off_by_default_and_the_metrics_never_on_the_public_app(
    api: Api,
) -> None:
    for path in ("/docs", "/redoc", "/docs/static/swagger-ui-bundle.js", "/metrics"):
        response = await api.http.get(path)
        assert response.status_code == 404, path
        assert_everywhere(response)
    assert "holos_api_requests_total" in await api.scrape()


async def test_docs_when_enabled_load_nothing_from_elsewhere(core: Core) -> None:
    settings = core.settings.model_copy(update={"api_docs": True})
    app = create_app(dataclasses.replace(core, settings=settings))
    async with (
        running_api(app, bind_socket("127.0.0.1", 0)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        page = await http.get("/docs")
        assert page.status_code == 200
        assert_everywhere(page)
        policy = page.headers["Content-Security-Policy"]
        assert STRICT in policy and "script-src 'self';" in policy
        assert "http" not in page.text  # no CDN, no absolute URL at all
        assert "<script>" not in page.text  # no inline script: the policy forbids it
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert len(assets) == 3
        for asset in assets:
            response = await http.get(asset)
            assert response.status_code == 200, asset
            assert len(response.content) > 40, asset
        bundle = await http.get("/docs/static/swagger-ui-bundle.js")
        assert b"SwaggerUIBundle" in bundle.content
        assert (await http.get("/openapi.json")).status_code == 200


async def test_if_match_star_means_any_version(staffed: Api) -> None:
    api = staffed
    made = await submit(api.core)
    before = await version_of(api.core, made.ref)
    response = await api.call(
        "PATCH",
        f"{V1}/cases/{made.ref}",
        "operator",
        json={"priority": "high"},
        headers={"If-Match": "*"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{before + 1}"'
    assert response.json()["priority"] == "high"
    # Anything else that is not a version is still refused.
    bad = await api.call(
        "PATCH",
        f"{V1}/cases/{made.ref}",
        "operator",
        json={"priority": "low"},
        headers={"If-Match": "**"},
    )
    assert bad.status_code == 422
