"""Button payloads. They carry codes and ids, never text, and stay far below 64 bytes."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class MenuCb(CallbackData, prefix="m"):
    action: str  # complaint, fraud_corruption, sexual_exploitation, trafficking, rate, check, language, about, home


class LangCb(CallbackData, prefix="l"):
    code: str


class CategoryCb(CallbackData, prefix="c"):
    code: str


class IntroCb(CallbackData, prefix="i"):
    go: bool


class ProgrammeCb(CallbackData, prefix="p"):
    code: str  # "-" when not specified


class OblastCb(CallbackData, prefix="o"):
    code: str


class DoneCb(CallbackData, prefix="d"):
    flow: str  # report, followup


class ContactCb(CallbackData, prefix="k"):
    mode: str


class SummaryCb(CallbackData, prefix="s"):
    action: str  # send, edit, discard


class EditCb(CallbackData, prefix="e"):
    field: str  # add, rewrite, programme, oblast, contact, back


class DiscardCb(CallbackData, prefix="x"):
    confirm: bool


class ResumeCb(CallbackData, prefix="r"):
    go: bool  # continue the draft, or discard it and open the menu


class ClearCb(CallbackData, prefix="t"):
    keep: bool  # keep the message with the button (the receipt code)


class FollowCb(CallbackData, prefix="f"):
    action: str  # add


class ScoreCb(CallbackData, prefix="g"):
    score: int


class ReasonCb(CallbackData, prefix="w"):
    code: str  # a WhatWentWrong value, or "done"


class SkipCb(CallbackData, prefix="q"):
    pass


class HandlingCb(CallbackData, prefix="h"):
    ref: int  # the outbox id of the survey message: no case reference leaves the server
    score: int
