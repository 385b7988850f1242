"""The draft: what a conversation with the bot has gathered so far, typed.

It is kept (encrypted, under per-person keys) in the bot's conversation state beside
the step name (storage.services.conversation, bot.fsm), as a plain JSON object. This
model is the only way code reads or writes it: every field is named here, so the type
checker sees each use, and a new field is added in one place with its default.

Versions. The object stored carries ``v`` (:data:`VERSION`). Drafts written before the
model (version 1) have no ``v`` and the same keys; they load as they are. A later
change of meaning or shape raises :data:`VERSION` and adds a step to ``_UPGRADES``, so
a draft stored by the running bot still loads after a deploy (a draft lives up to
``draft_ttl_hours``). Keys this version does not know are dropped on load (a draft
written by a newer bot read by an older one keeps what both understand).

A field left at its default is not stored: the object stays small, and "absent" and
"default" mean the same thing, as they did for the untyped dict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from storage.enums import ContactMode
from storage.services.attachments import StagedAttachment

VERSION = 4
VERSION_KEY = "v"

Flow = Literal["report", "followup", "rating", "survey"]


class Draft(BaseModel):
    """One conversation's draft. Mutable: a handler changes fields, then saves."""

    model_config = ConfigDict(extra="ignore", validate_assignment=False)

    # Kept across flows (see kept()): the chosen language, the message whose buttons
    # are live (the current step), and notices with buttons to strip at the next step.
    locale: str | None = None
    prompt_id: int | None = None
    live: list[int] = Field(default_factory=list)
    bare: bool = False  # the current step was shown without buttons: none to strip
    # Messages never edited into another step (the privacy notice, referral lines, the
    # voice notice): the next step comes below them.
    protected: list[int] = Field(default_factory=list)

    # Which flow, and the messages "clear this conversation" deletes (None: not traced).
    flow: Flow | None = None
    trace: list[int] | None = None
    # The answer to what the person last sent (a tally, or a step shown again below
    # their message), and how many messages it answers (a burst: handlers.gather).
    answer_id: int | None = None
    burst: int = 0

    # A report, and an addition to one (parts and files).
    category: str | None = None
    programme: str | None = None
    oblast: str | None = None
    parts: list[str] = Field(default_factory=list)
    files: list[StagedAttachment] = Field(default_factory=list)
    from_text: bool = False  # the person wrote first, before any button
    described: bool = False  # "your words are kept" was said once
    editing: bool = False  # changing a field from the summary: return there after
    contact_mode: ContactMode = ContactMode.ANONYMOUS
    contact: str | None = None  # ContactMode.TYPED: the phone or e-mail, normalised
    # The receipt code the case will take: drawn while the draft is open and shown on
    # the confirmation screen, so that a stop between the case's commit and the receipt
    # loses nothing the person has not seen. Kept as the rest of the draft is (sealed);
    # it goes with the draft.
    receipt_code: str | None = None

    # A follow-up: the case found by its receipt code.
    case_id: int | None = None
    # Answering a reply with its "Reply to this" button: no code was typed, so the case
    # is never shown, and the addition is marked as the reporter's reply.
    answering: bool = False

    # A rating.
    score: int | None = None
    reasons: list[str] = Field(default_factory=list)

    # The feedback point this flow belongs to: opened with its link (``/start
    # fp_<code>``: its survey or rating), or a report begun from the menu under that
    # flow's thanks, whose buttons carry the code (nothing of it outlives a flow here).
    feedback_point: str | None = None
    # The point's survey under way: where the walk goes on (the index of the first
    # question not yet passed) and the answers so far, by question name (None: skipped).
    # Stored only at the end, in one response (storage.services.feedback_points).
    survey_next: int = 0
    answers: dict[str, str | int | None] = Field(default_factory=dict)

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> Draft:
        """A draft from what the conversation state holds, of any version so far."""
        raw = dict(data)
        version = raw.pop(VERSION_KEY, 1)
        if not isinstance(version, int) or version < 1:
            version = 1
        while version < VERSION:
            raw = _UPGRADES[version](raw)
            version += 1
        return cls.model_validate(raw)

    def dump(self) -> dict[str, Any]:
        """What the conversation state stores: JSON types, defaults left out. An empty
        draft is ``{}`` (the storage then keeps no row, only the language apart)."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        return {VERSION_KEY: VERSION, **data} if data else {}

    @property
    def content(self) -> bool:
        """Whether a description holds anything yet (text or files)."""
        return bool(self.parts or self.files)

    @property
    def worth_keeping(self) -> bool:
        """Something the person would mind losing."""
        return bool(self.content or self.category or self.score or self.answers)

    @property
    def narrative(self) -> str:
        return "\n\n".join(self.parts)

    def kept(self) -> Draft:
        """A fresh draft carrying only what outlives a flow: the language, the message
        whose buttons are live (so the next step can take them off), and the messages
        never to be edited into another step."""
        return Draft(
            locale=self.locale,
            prompt_id=self.prompt_id,
            live=list(self.live),
            bare=self.bare,
            protected=list(self.protected),
        )


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 (the untyped dict) had these keys already; a file entry from before
    issue 18 also carries the reporter's file name, which is dropped here."""
    files = data.get("files")
    if isinstance(files, list):
        data["files"] = [
            StagedAttachment.from_dict(f).to_dict() if isinstance(f, dict) else f for f in files
        ]
    # An explicit None meant "not chosen", as the default does.
    if data.get("contact_mode") is None:
        data.pop("contact_mode", None)
    for key in ("parts", "files", "live", "reasons"):
        if data.get(key) is None:
            data.pop(key, None)
    return data


def _from_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 named the answer to what the person sent ``tally_id`` (it was always
    a tally then); version 3 answers at steps with buttons too (issue 20)."""
    if "tally_id" in data:
        data["answer_id"] = data.pop("tally_id")
    return data


def _from_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Version 4 added the feedback point and its survey (issue 24): new fields with
    their defaults, so a version 3 draft reads as it is (it opened no point)."""
    return data


_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: _from_v1,
    2: _from_v2,
    3: _from_v3,
}
