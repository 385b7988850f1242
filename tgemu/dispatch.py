"""One Bot API call from token check to envelope: faults, validation, the method, recording."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from tgemu.errors import NOT_FOUND, UNAUTHORIZED, BotApiError, ControlError
from tgemu.faults import Fault
from tgemu.methods import HANDLERS, CallContext, unsupported
from tgemu.spec import MethodSpec, load_spec
from tgemu.state import TOKEN_RE, BotWorld, Emulator, RecordedCall, sanitize_params
from tgemu.validation import validate_params

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Outcome:
    """What to answer: a status and envelope, or ``drop`` to close the connection unanswered."""

    status: int
    body: dict[str, Any] | None
    drop: bool = False


def _error(error: BotApiError) -> Outcome:
    return Outcome(error.code, error.envelope())


def _call_chat(world: BotWorld, method: str, params: dict[str, Any]) -> int | None:
    """The chat a call concerns, so reply waits can follow one conversation."""
    if method == "answerCallbackQuery":
        record = world.callbacks.get(str(params.get("callback_query_id", "")))
        return record.chat_id if record else None
    return world.resolve_chat_id(params.get("chat_id"))


async def dispatch_call(
    emulator: Emulator,
    token: str,
    method_name: str,
    params: dict[str, Any],
    files: dict[str, Any],
    *,
    form: bool,
) -> Outcome:
    if not TOKEN_RE.match(token):
        emulator.unrouted_invalid_calls.append(
            {"method": method_name, "params": {}, "error_code": 401, "description": "Unauthorized"}
        )
        return _error(UNAUTHORIZED)
    world = emulator.world(token)
    spec = load_spec().method(method_name)
    name = spec.name if spec else method_name
    call = world.record(
        RecordedCall(
            seq=world.next_seq(),
            time=emulator.clock.now(),
            method=name,
            params=sanitize_params({**params, **files}),
            chat_id=_call_chat(world, name, params),
        )
    )
    logger.debug("bot %s calls %s", world.bot_id, name)
    try:
        return await _carry_out(emulator, world, call, spec, params, files, form=form)
    finally:
        # A call abandoned on the way (a cancelled request) still ends: left in flight, it
        # would hold every wait on its chat.
        if call.finished is None:
            call.ok = False
            call.description = "the call was abandoned"
            world.finish(call)


async def _carry_out(
    emulator: Emulator,
    world: BotWorld,
    call: RecordedCall,
    spec: MethodSpec | None,
    params: dict[str, Any],
    files: dict[str, Any],
    *,
    form: bool,
) -> Outcome:
    name = call.method
    if spec is None:
        world.finish(call, NOT_FOUND)
        return _error(NOT_FOUND)
    if emulator.latency_ms:
        # In flight meanwhile, so reply waits do not end while a call is on the wire.
        await asyncio.sleep(emulator.latency_ms / 1000)
    fault = world.faults.take(name)
    if fault is not None:
        call.fault = fault.kind
        outcome = await _apply_fault(world, call, fault)
        if outcome is not None:
            return outcome
    ctx = CallContext()
    try:
        validated = validate_params(spec, params, files, form=form)
        # Record the typed values, with "attach://" references resolved to the files.
        call.params = sanitize_params(validated)
        handler = HANDLERS.get(name)
        if handler is None:
            raise unsupported()
        result = await handler(world, validated, ctx)
    except BotApiError as exc:
        world.finish(call, exc)
        return _error(exc)
    except ControlError as exc:  # pragma: no cover - a handler bug, reported as Telegram would
        error = BotApiError(500, f"Internal Server Error: {exc.detail}")
        world.finish(call, error)
        return _error(error)
    call.affected = ctx.affected
    world.finish(call)
    body: dict[str, Any] = {"ok": True, "result": result}
    if ctx.description:
        body["description"] = ctx.description
    return Outcome(200, body)


async def _apply_fault(world: BotWorld, call: RecordedCall, fault: Fault) -> Outcome | None:
    if fault.kind == "delay":
        await asyncio.sleep(fault.seconds)
        return None
    if fault.kind == "retry_after":
        error = BotApiError(
            429,
            f"Too Many Requests: retry after {fault.retry_after}",
            {"retry_after": fault.retry_after},
        )
        world.finish(call, error)
        return _error(error)
    if fault.kind == "server_error":
        error = BotApiError(500, "Internal Server Error")
        world.finish(call, error)
        return _error(error)
    call.ok = False
    call.description = "connection dropped"
    world.finish(call)
    return Outcome(0, None, drop=True)


def refuse_unparsable(emulator: Emulator, token: str, method_name: str, reason: str) -> Outcome:
    """Record and answer a call whose body could not even be decoded."""
    error = BotApiError(400, f"Bad Request: {reason}")
    if not TOKEN_RE.match(token):
        return _error(UNAUTHORIZED)
    world = emulator.world(token)
    call = world.record(
        RecordedCall(
            seq=world.next_seq(),
            time=emulator.clock.now(),
            method=method_name,
            params={},
            chat_id=None,
        )
    )
    world.finish(call, error)
    return _error(error)
