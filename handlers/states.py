"""Conversation states. The draft lives in the (encrypted) FSM data beside the state."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class Report(StatesGroup):
    category = State()
    intro = State()  # safe-referral contacts before a sensitive report
    programme = State()
    oblast = State()
    description = State()
    contact = State()
    contact_typed = State()
    summary = State()
    edit = State()


class FollowUp(StatesGroup):
    code = State()
    viewing = State()
    adding = State()


class Rate(StatesGroup):
    programme = State()
    score = State()
    reasons = State()
    comment = State()


class PointSurvey(StatesGroup):
    """A feedback point's survey: one state, the question is the draft's (survey_next)."""

    question = State()
