"""Reply templates: kept by administrators and focal points, offered in the reporter's
language or else in English (marked), audited by name and language, never by text."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.access import Actor
from storage.core import Core
from storage.enums import Language
from storage.errors import (
    DuplicateTemplate,
    EmptyText,
    PermissionDenied,
    TemplateNotFound,
    TextTooLong,
)
from storage.models import AuditEvent
from storage.services.reply_templates import (
    MAX_TEMPLATE_CHARS,
    ReplyTemplateService,
    TemplateOffer,
    fill,
)
from tests.storage.helpers import make_staff


@pytest.fixture
async def people(core: Core) -> dict[str, Actor]:
    return {
        "admin": await make_staff(core, "adm", "admin"),
        "focal": await make_staff(core, "focal", "focal_point"),
        "operator": await make_staff(core, "oper", "operator"),
        "analyst": await make_staff(core, "anna", "analyst"),
    }


async def create(core: Core, actor: Actor, name: str, language: str, body: str) -> str:
    async with core.database.transaction() as session:
        template = await ReplyTemplateService(session, core).create(
            actor, name=name, language=language, body=body
        )
        return template.public_id


async def offers(core: Core, actor: Actor, language: str) -> list[TemplateOffer]:
    async with core.database.transaction() as session:
        return await ReplyTemplateService(session, core).offers(actor, language)


async def template_events(core: Core) -> list[AuditEvent]:
    async with core.database.transaction() as session:
        stmt = (
            select(AuditEvent)
            .where(AuditEvent.action.like("reply_template.%"))
            .order_by(AuditEvent.id)
        )
        return list((await session.scalars(stmt)).all())


async def test_offered_in_the_reporters_language_else_english_marked(
    core: Core, people: dict[str, Actor]
) -> None:
    admin = people["admin"]
    await create(core, admin, "Thanks", "en", "Thank you for your report of {date}.")
    await create(core, admin, "Thanks", "ru", "Спасибо за обращение от {date} ({topic}).")
    await create(core, people["focal"], "Referral", "en", "We passed it on.")
    await create(core, admin, "Only Ukrainian", "uk", "Дякуємо.")

    russian = {o.name: o for o in await offers(core, people["operator"], "ru")}
    assert set(russian) == {"Thanks", "Referral"}  # no ru or en text: not offered
    assert russian["Thanks"].language is Language.RU and not russian["Thanks"].fallback
    assert russian["Referral"].language is Language.EN and russian["Referral"].fallback

    ukrainian = {o.name: o for o in await offers(core, people["operator"], "uk")}
    assert set(ukrainian) == {"Thanks", "Referral", "Only Ukrainian"}
    assert ukrainian["Thanks"].fallback and not ukrainian["Only Ukrainian"].fallback


def test_fill_replaces_only_the_known_placeholders() -> None:
    body = "Від {date}: {topic}. {name} {0} {date.year} {{topic}}"
    filled = fill(body, {"date": "06.12.2026", "topic": "Якість допомоги"})
    assert filled == "Від 06.12.2026: Якість допомоги. {name} {0} {date.year} {Якість допомоги}"
    # A value not given stays as written, for the operator to fill in.
    assert fill("{date} {topic}", {"date": "1"}) == "1 {topic}"


async def test_only_admins_and_focal_points_keep_them(core: Core, people: dict[str, Actor]) -> None:
    with pytest.raises(PermissionDenied):
        await create(core, people["operator"], "Mine", "uk", "Текст")
    with pytest.raises(PermissionDenied):
        await offers(core, people["analyst"], "uk")
    template = await create(core, people["admin"], "Thanks", "uk", "Дякуємо")
    async with core.database.transaction() as session:
        service = ReplyTemplateService(session, core)
        with pytest.raises(PermissionDenied):
            await service.update(people["operator"], template, body="Інше")
        with pytest.raises(PermissionDenied):
            await service.delete(people["operator"], template)


async def test_bad_input_is_refused(core: Core, people: dict[str, Actor]) -> None:
    admin = people["admin"]
    await create(core, admin, "Thanks", "uk", "Дякуємо")
    with pytest.raises(DuplicateTemplate):
        await create(core, admin, " Thanks ", "uk", "Ще раз")
    with pytest.raises(EmptyText):
        await create(core, admin, "   ", "uk", "Текст")
    with pytest.raises(EmptyText):
        await create(core, admin, "Empty", "uk", " \n ")
    with pytest.raises(TextTooLong):
        await create(core, admin, "Long", "uk", "я" * (MAX_TEMPLATE_CHARS + 1))
    with pytest.raises(TextTooLong):
        await create(core, admin, "N" * 81, "uk", "Текст")
    with pytest.raises(ValueError):
        await create(core, admin, "German", "de", "Danke")
    async with core.database.transaction() as session:
        with pytest.raises(TemplateNotFound):
            await ReplyTemplateService(session, core).update(admin, "nosuchid", body="x")


async def test_changes_are_audited_by_name_and_language_never_text(
    core: Core, people: dict[str, Actor]
) -> None:
    admin, focal = people["admin"], people["focal"]
    template = await create(core, admin, "Thanks", "ru", "Секретная формулировка")
    async with core.database.transaction() as session:
        service = ReplyTemplateService(session, core)
        updated = await service.update(focal, template, name="Gratitude", body="Новый текст")
        assert (updated.name, updated.body) == ("Gratitude", "Новый текст")
        # Nothing changed: no event.
        await service.update(focal, template, name="Gratitude")
    async with core.database.transaction() as session:
        await ReplyTemplateService(session, core).delete(admin, template)
    events = await template_events(core)
    assert [(e.action, e.actor_id, e.target) for e in events] == [
        ("reply_template.created", admin.user_id, f"template:{template}"),
        ("reply_template.updated", focal.user_id, f"template:{template}"),
        ("reply_template.deleted", admin.user_id, f"template:{template}"),
    ]
    assert events[1].before == {"template_language": "ru", "name": "Thanks", "length": 22}
    assert events[1].after == {"template_language": "ru", "name": "Gratitude", "length": 11}
    for event in events:
        assert "Секретная" not in repr((event.before, event.after))
        assert "Новый" not in repr((event.before, event.after))
    assert await offers(core, people["operator"], "ru") == []
