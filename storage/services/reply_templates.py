"""Reply templates: ready answers in uk, ru and en that staff insert into a reply and
edit before sending it.

Administrators and focal points keep them; whoever works with cases uses them. A
template is one name with a text per language; a case is offered each name in its
reporter's language, else in English, marked so the page can warn that the text is
not in the reporter's language. ``{date}`` and ``{topic}`` become the day the report
came in and its category as the reporter saw it: the edge that knows the language
gives :func:`fill` those words (storage speaks no language).

What a reply made from a template says is the operator's reply: it is stored, sealed
and sent as any other (:meth:`storage.services.triage.TriageService.add_reply`). The
audit trail records a template's name and language, never its text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.core import Core
from storage.enums import AuditAction, Language
from storage.errors import (
    DuplicateTemplate,
    EmptyText,
    PermissionDenied,
    TemplateNotFound,
    TextTooLong,
)
from storage.models import ReplyTemplate
from storage.repositories.reply_templates import ReplyTemplateRepository
from storage.services.audit import AuditLog
from storage.services.triage import MAX_REPLY_CHARS
from storage.text import clean

MAX_NAME_CHARS = 80
MAX_TEMPLATE_CHARS = MAX_REPLY_CHARS
PLACEHOLDERS = ("date", "topic")
# Only the known placeholders are replaced: any other brace is text, never a format
# field (str.format would read attributes and fail on a stray brace).
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def fill(body: str, values: Mapping[str, str]) -> str:
    """The template's text with its placeholders replaced (a missing value stays as
    written, so the operator sees what to fill in)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


@dataclass(frozen=True)
class TemplateOffer:
    """A template as offered on one case: in the reporter's language, or in English
    (``fallback``) when it has no text in theirs."""

    id: str
    name: str
    language: Language
    body: str
    fallback: bool


def _text(value: str, *, what: str, limit: int) -> str:
    text = clean(value).strip()
    if not text:
        raise EmptyText(what)
    if len(text) > limit:
        raise TextTooLong(what, len(text), limit)
    return text


class ReplyTemplateService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.core = core
        self.templates = ReplyTemplateRepository(session)
        self.audit = AuditLog(session, core.clock)

    def _may_read(self, actor: Actor) -> None:
        if not (actor.can_see_cases or actor.can_manage_templates):
            raise PermissionDenied("Your role does not use reply templates.")

    def _may_manage(self, actor: Actor) -> None:
        if not actor.can_manage_templates:
            raise PermissionDenied("Your role does not keep reply templates.")

    async def all(self, actor: Actor) -> list[ReplyTemplate]:
        self._may_read(actor)
        return await self.templates.all()

    async def get(self, actor: Actor, template_id: str) -> ReplyTemplate:
        self._may_read(actor)
        template = await self.templates.get(template_id)
        if template is None:
            raise TemplateNotFound()
        return template

    async def offers(self, actor: Actor, language: Language | str) -> list[TemplateOffer]:
        """Every template name once, in ``language`` where it has a text, else English."""
        self._may_read(actor)
        language = Language(language)
        by_name: dict[str, dict[Language, ReplyTemplate]] = {}
        for template in await self.templates.all():
            by_name.setdefault(template.name, {})[Language(template.language)] = template
        offers = []
        for name, versions in by_name.items():
            chosen = versions.get(language) or versions.get(Language.EN)
            if chosen is None:
                continue  # neither the reporter's language nor English: nothing to offer
            offers.append(
                TemplateOffer(
                    id=chosen.public_id,
                    name=name,
                    language=Language(chosen.language),
                    body=chosen.body,
                    fallback=Language(chosen.language) != language,
                )
            )
        return offers

    async def create(
        self, actor: Actor, *, name: str, language: Language | str, body: str
    ) -> ReplyTemplate:
        self._may_manage(actor)
        name = _text(name, what="name", limit=MAX_NAME_CHARS)
        language = Language(language)
        text = _text(body, what="template", limit=MAX_TEMPLATE_CHARS)
        if await self.templates.named(name, language) is not None:
            raise DuplicateTemplate()
        now = self.core.clock.now()
        template = ReplyTemplate(
            name=name,
            language=language,
            body=text,
            created_at=now,
            updated_at=now,
            updated_by=actor.user_id,
        )
        self.templates.add(template)
        await self.templates.flush()
        self.audit.record(
            actor,
            AuditAction.REPLY_TEMPLATE_CREATED,
            target=f"template:{template.public_id}",
            after={"name": name, "template_language": language.value},
        )
        return template

    async def update(
        self,
        actor: Actor,
        template_id: str,
        *,
        name: str | None = None,
        body: str | None = None,
    ) -> ReplyTemplate:
        self._may_manage(actor)
        template = await self.templates.get(template_id)
        if template is None:
            raise TemplateNotFound()
        before: dict[str, object] = {}
        after: dict[str, object] = {}
        if name is not None:
            new_name = _text(name, what="name", limit=MAX_NAME_CHARS)
            if new_name != template.name:
                other = await self.templates.named(new_name, Language(template.language))
                if other is not None:
                    raise DuplicateTemplate()
                before["name"], after["name"] = template.name, new_name
                template.name = new_name
        if body is not None:
            text = _text(body, what="template", limit=MAX_TEMPLATE_CHARS)
            if text != template.body:
                # The text is staff's own, but the trail keeps only that it changed.
                before["length"], after["length"] = len(template.body), len(text)
                template.body = text
        if not after:
            return template
        template.updated_at = self.core.clock.now()
        template.updated_by = actor.user_id
        await self.templates.flush()
        self.audit.record(
            actor,
            AuditAction.REPLY_TEMPLATE_UPDATED,
            target=f"template:{template.public_id}",
            before={"template_language": template.language.value, **before},
            after={"template_language": template.language.value, **after},
        )
        return template

    async def delete(self, actor: Actor, template_id: str) -> None:
        self._may_manage(actor)
        template = await self.templates.get(template_id)
        if template is None:
            raise TemplateNotFound()
        self.audit.record(
            actor,
            AuditAction.REPLY_TEMPLATE_DELETED,
            target=f"template:{template.public_id}",
            before={"name": template.name, "template_language": template.language.value},
        )
        await self.templates.delete(template)
        await self.templates.flush()
