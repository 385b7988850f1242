"""Bot metrics: the counters move with what the bot does, and nothing in
them (or in the API's /metrics, which shows them) names a person."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prometheus_client import REGISTRY, generate_latest

from admin_api.app import create_app
from admin_api.metrics import create_metrics_app
from bot import metrics
from bot.requests import ATTEMPTS
from bot.runtime import BotRuntime
from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import Language, OutboxKind
from storage.services.triage import TriageService
from tests.bot.helpers import served
from tests.handlers.conversation import Talk, stored_cases
from tests.storage.helpers import make_staff
from tgemu import BotHandle
from tgemu.spec import load_spec

NAMES = ("holos_bot_updates", "holos_bot_reports_submitted", "holos_bot_deliveries")
NAMES += ("holos_bot_receipt_lookups", "holos_bot_api_calls", "holos_bot_api_retries")
NAMES += ("holos_bot_flood_notices", "holos_bot_flood_dropped", "holos_bot_repeated_updates")
# Every label value a bot metric may carry: fixed words and catalog codes, nothing else.
API_METHODS = {
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "deleteMessages",
    "deleteMessage",
    "setMyCommands",
    "deleteWebhook",
    "getMe",
    "getUpdates",
    "getFile",
}
WENT_WRONG = "Sorry, something went wrong on our side."
UPDATE_TYPES = {"message", "edited_message", "callback_query", "my_chat_member", "unknown"}


def counts() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the bot's counters, by name and labels."""
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in REGISTRY.collect():
        if family.name in NAMES:
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def moved(before: dict[Any, float], after: dict[Any, float], name: str, **labels: str) -> float:
    key = (f"{name}_total", frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def reply(core: Core, actor: Actor, ref: str, text: str) -> None:
    async with core.database.transaction() as session:
        await TriageService(session, core).add_reply(ref, actor, {Language.EN: text})


async def test_a_conversation_moves_the_counters_and_names_nobody(
    running_bot: BotRuntime, make_user, bot_core: Core, tg: BotHandle, clock: FrozenClock
) -> None:
    before = counts()
    olena = await make_user("en", first_name="Olena", last_name="Kovalenko", username="olena_k")
    petro = await make_user("uk", first_name="Petro", username="petro_p")
    asker, guesser = Talk(olena, "en"), Talk(petro, "uk")

    # A report, then lookups: malformed, found; another person misses until throttled.
    code = await asker.file_report(category="staff_conduct", contact="💬 Reply in this chat")
    await asker.command("status")
    await asker.say("1234")
    await asker.say(code)
    await guesser.command("status")
    for _ in range(6):
        await guesser.say("0000 0000 0000 0000")
    # An update whose handling fails: Telegram refuses the answer to /menu more often
    # than the bot tries.
    await tg.inject_server_error("sendMessage", times=ATTEMPTS)
    await asker.user.send_text("/menu", wait=False)
    # The person is told their draft is safe once the bot has given up on the answer.
    await asker.user.wait_for(lambda m: m.body.startswith(asker.t(WENT_WRONG)))

    # Deliveries: a 429 and then success; a block makes the next one undeliverable.
    operator = await make_staff(bot_core, "olena_staff", "operator")
    (case,) = await stored_cases(bot_core)
    await tg.inject_retry_after("sendMessage", times=1, retry_after=1)
    await reply(bot_core, operator, case.ref, "We are looking into it.")
    await running_bot.worker.flush()
    clock.advance(timedelta(seconds=1))
    await running_bot.worker.flush()
    await olena.block()
    await reply(bot_core, operator, case.ref, "Could you tell us more?")
    await running_bot.worker.flush()

    # A stop lets every update being handled finish: the counts are final.
    await running_bot.stop()
    after = counts()

    assert moved(before, after, "holos_bot_reports_submitted", category="staff_conduct") == 1
    lookups = {
        outcome: moved(before, after, "holos_bot_receipt_lookups", outcome=outcome)
        for outcome in ("found", "missed", "throttled", "malformed")
    }
    assert lookups == {"found": 1, "missed": 5, "throttled": 1, "malformed": 1}
    reply_kind = OutboxKind.REPLY.value
    deliveries = {
        outcome: moved(before, after, "holos_bot_deliveries", kind=reply_kind, outcome=outcome)
        for outcome in ("sent", "retry", "undeliverable")
    }
    assert deliveries == {"sent": 1, "retry": 1, "undeliverable": 1}
    assert moved(before, after, "holos_bot_updates", type="message", outcome="error") == 1
    # Every attempt is counted, the retries too; the delivery worker does its own (a 429).
    api = {
        (result, reason): (
            moved(before, after, "holos_bot_api_calls", method="sendMessage", result=result),
            moved(before, after, "holos_bot_api_retries", method="sendMessage", reason=reason),
        )
        for result, reason in (("server_error", "server_error"), ("retry_after", "retry_after"))
    }
    assert api == {
        ("server_error", "server_error"): (ATTEMPTS, ATTEMPTS - 1),
        ("retry_after", "retry_after"): (1, 0),
    }
    # /start, the description, /status twice, eight codes typed; seven button presses.
    assert moved(before, after, "holos_bot_updates", type="message", outcome="ok") == 12
    assert moved(before, after, "holos_bot_updates", type="callback_query", outcome="ok") == 7

    # This conversation called only the methods a conversation needs.
    called = {
        dict(labels)["method"]
        for key, value in after.items()
        for name, labels in [key]
        if name == "holos_bot_api_calls_total" and value != before.get(key, 0.0)
    }
    assert called <= API_METHODS, called - API_METHODS

    # Nothing in any label but fixed words and catalog codes.
    # Sensitive categories are counted under one fixed word (a report of one filed by
    # an earlier test in this process leaves that label behind).
    categories = {c.code for c in bot_core.catalog.categories} | {"unknown", metrics.SENSITIVE}
    allowed = {
        "type": UPDATE_TYPES,
        "outcome": {o.value for o in metrics.UpdateOutcome}
        | {o.value for o in metrics.DeliveryOutcome}
        | {o.value for o in metrics.LookupOutcome},
        "category": categories,
        "kind": {k.value for k in OutboxKind},
        # Other tests in this process (webhooks, faults) call other methods: any Bot API
        # method name is a fixed word; the ones this conversation used are checked above.
        "method": set(load_spec().methods),
        "quota": set(metrics.QUOTAS),
        "result": {"ok", "retry_after", "server_error", "network_error", "error"},
        "reason": {"retry_after", "server_error", "network"},
    }
    for _, labels in after:
        for label, value in labels:
            assert value in allowed[label], (label, value)

    # The metrics listener shows the bot's counters beside the API's, and nobody in them.
    app = create_app(bot_core)
    metrics.expose_in(app.state.metrics.registry)
    async with served(create_metrics_app(app.state.metrics)) as (_, http):
        exposed = (await http.get("/metrics")).text
    assert 'holos_bot_receipt_lookups_total{outcome="throttled"}' in exposed
    assert "holos_api_requests_total" in exposed  # the API's own, beside them
    default = generate_latest(REGISTRY).decode()
    secrets = [code, code.replace(" ", ""), "Olena", "Kovalenko", "olena_k", "Petro", "petro_p"]
    for person in (olena, petro):
        keys = bot_core.crypto.person(person.id)
        secrets += [str(person.id), keys.language()[:12], keys.flood("any")[:12]]
    for text in (exposed, default):
        for secret in secrets:
            assert secret not in text, secret
