"""The typed draft (storage.draft): every field it names survives a store and a load,
and drafts stored before it (version 1, untyped) load with what they held."""

from __future__ import annotations

from typing import Any

from storage.draft import VERSION, VERSION_KEY, Draft
from storage.enums import ContactMode
from storage.services.attachments import StagedAttachment

FILE = {
    "blob_key": "b1",
    "kind": "voice",
    "mime_type": "audio/ogg",
    "size_bytes": 2048,
    "metadata_stripped": True,
    "text": None,
}

# Every key the untyped draft ever held, as the bot stored them before version 2.
V1: dict[str, Any] = {
    "locale": "ru",
    "prompt_id": 41,
    "live": [39, 40],
    "flow": "report",
    "trace": [30, 31, 41],
    "tally_id": 41,
    "category": "assistance_quality",
    "programme": None,
    "oblast": "UA-63",
    "parts": ["Раз.", "Два."],
    # Before issue 18 a file carried the reporter's file name: it must not come back.
    "files": [{**FILE, "filename": "Іван_Петренко.ogg"}],
    "from_text": True,
    "described": True,
    "editing": True,
    "contact_mode": "typed",
    "contact": "+380501234567",
    "case_id": 7,
    "score": 2,
    "reasons": ["late", "rude"],
}


def test_a_version_1_draft_loads_with_every_field() -> None:
    draft = Draft.load(V1)
    assert draft.locale == "ru" and draft.prompt_id == 41 and draft.live == [39, 40]
    assert draft.flow == "report" and draft.trace == [30, 31, 41] and draft.answer_id == 41
    assert draft.category == "assistance_quality" and draft.programme is None
    assert draft.oblast == "UA-63" and draft.parts == ["Раз.", "Два."]
    assert draft.files == [StagedAttachment(**FILE)]
    assert draft.from_text and draft.described and draft.editing
    assert draft.contact_mode is ContactMode.TYPED and draft.contact == "+380501234567"
    assert draft.case_id == 7 and draft.score == 2 and draft.reasons == ["late", "rude"]
    assert draft.narrative == "Раз.\n\nДва."


def test_a_stored_draft_carries_its_version_and_loads_as_it_was() -> None:
    draft = Draft.load(V1)
    stored = draft.dump()
    assert stored[VERSION_KEY] == VERSION
    assert "filename" not in stored["files"][0]
    assert stored["contact_mode"] == "typed"  # JSON, as the encrypted state holds it
    assert Draft.load(stored) == draft


def test_old_nulls_read_as_the_defaults() -> None:
    draft = Draft.load({"contact_mode": None, "parts": None, "files": None, "category": None})
    assert draft.contact_mode is ContactMode.ANONYMOUS
    assert draft.parts == [] and draft.files == [] and not draft.worth_keeping


def test_an_empty_draft_stores_nothing_and_the_language_alone_is_kept() -> None:
    assert Draft().dump() == {}
    assert Draft.load({}) == Draft()
    # What the storage gives back once a draft has expired: the kept language alone.
    assert Draft.load({"locale": "en"}).dump() == {VERSION_KEY: VERSION, "locale": "en"}


def test_keys_this_version_does_not_know_are_dropped() -> None:
    draft = Draft.load({VERSION_KEY: VERSION, "locale": "uk", "from_a_newer_bot": 1})
    assert draft.dump() == {VERSION_KEY: VERSION, "locale": "uk"}


def test_a_new_flow_keeps_only_the_language_and_the_live_step() -> None:
    kept = Draft.load(V1).kept()
    assert kept == Draft(locale="ru", prompt_id=41, live=[39, 40])


def test_a_version_3_draft_loads_and_a_new_flow_keeps_nothing_of_a_feedback_point() -> None:
    # What the bot before feedback points (version 3) stored at a rating's comment step.
    v3 = {VERSION_KEY: 3, "locale": "uk", "prompt_id": 12, "flow": "rating", "score": 4}
    draft = Draft.load(v3)
    assert (draft.locale, draft.flow, draft.score) == ("uk", "rating", 4)
    assert draft.feedback_point is None and draft.answers == {} and draft.survey_next == 0
    draft.feedback_point, draft.survey_next = "k7q2mz", 2
    draft.answers = {"satisfied": 4, "waited": "long", "comment": None}
    stored = draft.dump()
    assert stored[VERSION_KEY] == VERSION == 4
    assert Draft.load(stored) == draft
    assert draft.worth_keeping
    # A new flow keeps neither the point nor the answers (the menu's buttons carry it).
    assert draft.kept() == Draft(locale="uk", prompt_id=12)
