"""Button payloads. They carry codes and ids, never text, and stay far below 64 bytes.

A payload that names something of one person's (the survey of a closed case) is signed
with a key derived from the server secret and bound to the chat it was sent to."""

from __future__ import annotations

import base64
import hmac

from aiogram.filters.callback_data import CallbackData

from storage.crypto import Crypto


class MenuCb(CallbackData, prefix="m"):
    action: str  # complaint, fraud_corruption, sexual_exploitation, trafficking, rate, check, language, about, home


class PointMenuCb(CallbackData, prefix="n"):
    """A report begun from the menu under a feedback point's thanks: the point's code
    rides in the button, so the conversation keeps nothing of the point after its
    survey or rating (a made-up code tags nothing: it is looked up when the report is
    sent)."""

    action: str  # complaint, or a sensitive category
    code: str


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
    since: int = 0  # on a receipt: the flow's first message (its state is gone by then)


class FollowCb(CallbackData, prefix="f"):
    action: str  # add


class ScoreCb(CallbackData, prefix="g"):
    score: int


class ReasonCb(CallbackData, prefix="w"):
    code: str  # a WhatWentWrong value, or "done"


class SkipCb(CallbackData, prefix="q"):
    pass


class SurveyCb(CallbackData, prefix="v"):
    """An answer to a feedback point's survey question, by position: the question's
    index in the survey and the answer's (the scale's value, the choice's index; -1 to
    skip), so that names of any length stay far below 64 bytes."""

    q: int
    a: int


SKIP_ANSWER = -1


class HandlingCb(CallbackData, prefix="h"):
    ref: int  # the outbox id of the survey message: no case reference leaves the server
    score: int
    sig: str  # binds ref and score to the chat the survey was sent to (see signed_handling)

    def signed_for(self, crypto: Crypto, chat_id: int) -> bool:
        """Whether this payload was made by us for ``chat_id``: a forged, altered or
        copied-to-another-chat button is not."""
        expected = _handling_signature(crypto, chat_id, self.ref, self.score)
        return hmac.compare_digest(expected, self.sig)


# 12 bytes of HMAC-SHA256 (16 characters): far beyond guessing through Telegram, and the
# whole payload ("h:<ref>:<score>:<sig>") stays under 40 of Telegram's 64 bytes.
_SIGNATURE_BYTES = 12


def _handling_signature(crypto: Crypto, chat_id: int, ref: int, score: int) -> str:
    mac = crypto.sign(f"{chat_id}:{ref}:{score}".encode(), "callback/handling")
    return base64.urlsafe_b64encode(mac[:_SIGNATURE_BYTES]).decode()


def signed_handling(crypto: Crypto, chat_id: int, ref: int, score: int) -> HandlingCb:
    """A survey button valid only in ``chat_id`` (the survey's own chat)."""
    return HandlingCb(ref=ref, score=score, sig=_handling_signature(crypto, chat_id, ref, score))


class AnswerCb(CallbackData, prefix="a"):
    """The "Reply to this" button under a reply delivered in the chat."""

    ref: int  # the outbox id of the delivered reply: no case reference leaves the server
    sig: str  # binds ref to the chat the reply was sent to

    def signed_for(self, crypto: Crypto, chat_id: int) -> bool:
        expected = _answer_signature(crypto, chat_id, self.ref)
        return hmac.compare_digest(expected, self.sig)


def _answer_signature(crypto: Crypto, chat_id: int, ref: int) -> str:
    mac = crypto.sign(f"{chat_id}:{ref}".encode(), "callback/answer")
    return base64.urlsafe_b64encode(mac[:_SIGNATURE_BYTES]).decode()


def signed_answer(crypto: Crypto, chat_id: int, ref: int) -> AnswerCb:
    """A "Reply to this" button valid only in ``chat_id`` (the reply's own chat)."""
    return AnswerCb(ref=ref, sig=_answer_signature(crypto, chat_id, ref))
