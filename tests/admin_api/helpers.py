"""What API tests use: the running app and its client (:class:`Api`), and builders for
cases with files, versions, audit events as stored. A plain module, not the conftest
(which only holds the fixtures that make an :class:`Api`), so tests import it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from storage.access import Actor
from storage.core import Core
from storage.enums import AttachmentKind
from storage.models import Attachment, AuditEvent, Case
from storage.services.attachments import AttachmentService
from storage.services.intake import SubmittedCase
from tests.storage.helpers import make_staff, otp, submit

PASSWORD = "a-long-enough-password"  # what tests.storage.helpers.make_staff sets
ROLES = ("operator", "focal_point", "analyst", "admin")


@dataclass
class Api:
    """A running app and a client. ``tokens`` maps a name (a role) to a bearer token.

    ``http`` reaches the app in this process (ASGI) or over a loopback socket (uvicorn),
    as the test asked (see the ``api`` fixture in tests/admin_api/conftest.py)."""

    core: Core
    app: FastAPI
    base_url: str
    http: httpx.AsyncClient
    metrics_http: httpx.AsyncClient  # the metrics listener, as the CLI serves it
    tokens: dict[str, str] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)

    def headers(self, who: str | None, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return headers

    async def call(
        self, method: str, path: str, who: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def scrape(self) -> str:
        response = await self.metrics_http.get("/metrics")
        assert response.status_code == 200
        return response.text

    async def login(
        self, username: str, password: str = PASSWORD, code: str | None = None
    ) -> httpx.Response:
        data = {"username": username, "password": password}
        if code is not None:
            data["otp"] = code
        return await self.http.post("/api/v1/auth/token", data=data)

    async def sign_in(self, name: str, username: str, password: str = PASSWORD) -> str:
        """Signs in with both factors: the code comes from the account's own secret."""
        response = await self.login(username, password, await otp(self.core, username))
        assert response.status_code == 200, response.text
        self.tokens[name] = response.json()["access_token"]
        return self.tokens[name]

    async def add_staff(self, name: str, role: str, *, sign_in: bool = True) -> Actor:
        actor = await make_staff(self.core, name, role)
        self.actors[name] = actor
        if sign_in:
            await self.sign_in(name, name)
        return actor


UNKNOWN_REF = "HL-7K2M-9QXD-R"  # well formed, with a right check character


async def submit_with_file(
    core: Core,
    *,
    data: bytes = b"a scanned receipt",
    filename: str | None = "receipt.txt",
    **kw: Any,
) -> SubmittedCase:
    staged = await AttachmentService(core).stage(
        kind=AttachmentKind.DOCUMENT, mime_type="text/plain", data=data, filename=filename
    )
    return await submit(core, attachments=[staged], **kw)


async def case_row(core: Core, ref: str) -> Case:
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == ref))
        assert case is not None
        return case


async def version_of(core: Core, ref: str) -> int:
    return (await case_row(core, ref)).version


async def attachment_id(core: Core, ref: str) -> str:
    """The file's public id, as the API and the console show it."""
    case = await case_row(core, ref)
    async with core.database.transaction() as session:
        found = await session.scalar(
            select(Attachment.public_id).where(Attachment.case_id == case.id)
        )
        assert found is not None
        return found


async def audit_events(core: Core, *, after_id: int = 0) -> list[AuditEvent]:
    async with core.database.transaction() as session:
        stmt = select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id)
        return list((await session.scalars(stmt)).all())


async def last_event_id(core: Core) -> int:
    events = await audit_events(core)
    return events[-1].id if events else 0
