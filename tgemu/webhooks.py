"""Webhook delivery: POST each update to the bot, in order, retrying with backoff until 2xx.

One sender task per bot world delivers one update at a time, so order is kept the way it
matters to a conversation. The backoff is configurable on the Emulator so tests run fast.
A 2xx reply whose JSON body names a ``method`` is executed as a Bot API call, as Telegram does
for "reply in the webhook response".
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from tgemu.errors import bad_request
from tgemu.state import BotWorld
from tgemu.tls import shared_tls

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def configure_webhook(world: BotWorld, params: dict[str, Any]) -> None:
    url = params["url"]
    if not url:
        await remove_webhook(world, drop_pending=bool(params.get("drop_pending_updates")))
        return
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if not world.emulator.allow_remote_webhooks and not _is_loopback(parts.hostname):
        raise bad_request("bad webhook: the emulator delivers webhooks to loopback hosts only")
    secret = params.get("secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = params.get("max_connections", 40)
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    if params.get("drop_pending_updates"):
        world.updates.clear()
    if "allowed_updates" in params:
        world.allowed_updates = list(params["allowed_updates"]) or None
    world.webhook = WebhookConfig(
        url=url,
        secret_token=secret,
        max_connections=max_connections,
        ip_address=params.get("ip_address"),
    )
    world.webhook_last_error_date = None
    world.webhook_last_error_message = None
    # A pending long poll must end: the bot switched to webhooks.
    world.poll_owner = None
    if world.webhook_task is None or world.webhook_task.done():
        world.webhook_task = asyncio.get_running_loop().create_task(
            _deliver_forever(world), name=f"emulator-webhook-{world.bot_id}"
        )
    world.notify()


async def remove_webhook(world: BotWorld, *, drop_pending: bool) -> None:
    world.webhook = None
    if drop_pending:
        world.updates.clear()
    task, world.webhook_task = world.webhook_task, None
    world.notify()
    if task is not None and task is not asyncio.current_task():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _order_key(update: dict[str, Any]) -> object:
    """Updates with the same key are delivered one at a time, in order (Telegram keeps a
    chat's order); different keys go out side by side, up to ``max_connections``."""
    for value in update.values():
        if isinstance(value, dict):
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            if isinstance(chat, dict) and "id" in chat:
                return ("chat", chat["id"])
            sender = value.get("from")
            if isinstance(sender, dict) and "id" in sender:
                return ("user", sender["id"])
    return ("update", update.get("update_id"))


async def _deliver_forever(world: BotWorld) -> None:
    """Deliver pending updates: several at once (up to the webhook's max_connections), but
    a chat's next update only once its previous one got a 2xx."""
    emulator = world.emulator
    busy: dict[object, asyncio.Task[None]] = {}
    delays: dict[object, float] = {}

    async def deliver(
        client: httpx.AsyncClient, config: WebhookConfig, key: object, update: dict[str, Any]
    ) -> None:
        try:
            error = await _post(client, config, world, update)
            if error is None:
                with contextlib.suppress(ValueError):
                    world.updates.remove(update)
                delays.pop(key, None)
                return
            world.webhook_last_error_date = emulator.clock.unix()
            world.webhook_last_error_message = error
            world.notify()
            delay = delays.get(key, emulator.webhook_retry_initial)
            delays[key] = min(delay * 2, emulator.webhook_retry_max)
            # Back off, but wake early if the webhook is changed or removed.
            await world.wait_change(delay)
            await asyncio.sleep(0)
        finally:
            busy.pop(key, None)
            world.notify()

    async with httpx.AsyncClient(
        timeout=emulator.webhook_timeout, trust_env=False, verify=shared_tls()
    ) as client:
        try:
            while world.webhook is not None:
                config = world.webhook
                started = False
                blocked: set[object] = set()
                for update in list(world.updates):
                    if len(busy) >= config.max_connections:
                        break
                    key = _order_key(update)
                    if key in busy or key in blocked:
                        blocked.add(key)
                        continue
                    blocked.add(key)  # only the oldest pending update of a chat goes
                    busy[key] = asyncio.create_task(deliver(client, config, key, update))
                    started = True
                if not started:
                    await world.wait_change(None)
        finally:
            for task in list(busy.values()):
                task.cancel()
            for task in list(busy.values()):
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def _post(
    client: httpx.AsyncClient, config: WebhookConfig, world: BotWorld, update: dict[str, Any]
) -> str | None:
    """Deliver one update; return Telegram's last_error_message text on failure."""
    headers = {"Content-Type": "application/json"}
    if config.secret_token:
        headers[SECRET_HEADER] = config.secret_token
    record: dict[str, Any] = {"update_id": update["update_id"], "url": config.url}
    world.webhook_deliveries.append(record)
    try:
        response = await client.post(config.url, json=update, headers=headers)
    except httpx.TimeoutException:
        record["error"] = "Read timeout expired"
        return "Read timeout expired"
    except httpx.HTTPError as exc:
        logger.debug("webhook delivery to bot %s failed: %s", world.bot_id, exc)
        record["error"] = "Connection refused"
        return "Connection refused"
    record["status"] = response.status_code
    if not 200 <= response.status_code < 300:
        return f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"
    await _run_reply_method(world, response)
    return None


async def _run_reply_method(world: BotWorld, response: httpx.Response) -> None:
    """Execute a Bot API call returned in the webhook response body, if there is one."""
    if not response.content:
        return
    from tgemu.dispatch import dispatch_call
    from tgemu.wire import parse_body

    try:
        params, files, form = await parse_body(
            response.headers.get("content-type", ""), response.content
        )
    except ValueError:
        return
    name = params.pop("method", None)
    if not isinstance(name, str) or not name:
        return
    await dispatch_call(world.emulator, world.token, name, params, files, form=form)
