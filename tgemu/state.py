# ruff: noqa: ASYNC109 - timeouts here are forwarded to server-side waits, by design
"""What Telegram knows: per-token worlds of users, chats, messages, updates and recorded calls.

Every well-formed token is its own isolated world, so tests can share one emulator and still be
independent by using a fresh token each. All state lives on the event loop that serves the
emulator; other threads should talk to it over HTTP (the control API) rather than mutate it.

Long on purpose: the whole of the emulated Telegram world is one consistent model;
splitting it would spread one set of invariants over several modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tgemu.clock import EmulatorClock
from tgemu.errors import BotApiError, ControlError, bad_request, forbidden
from tgemu.faults import FaultPlan
from tgemu.files import FileStore, UploadedFile

if TYPE_CHECKING:
    from tgemu.webhooks import WebhookConfig

TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]{30,}$")
# Telegram's default: every update type except these three, unless the bot asks for them.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Status codes that mean the bot itself made a mistake (as opposed to a fault, a block or a
# conflict): such calls are listed in ``invalid_calls``.
INVALID_CALL_CODES = frozenset({400, 401, 404})
MAX_WAIT = 120.0


def mask_token(token: str) -> str:
    """Keep the bot id, hide the secret: tokens never appear in full in records or logs."""
    head, _, tail = token.partition(":")
    return f"{head}:{tail[:3]}…" if tail else "…"


@dataclass(slots=True)
class SimUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    blocked: bool = False
    started: bool = False  # has written to the bot at least once

    def to_user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value:
                user[key] = value
        return user

    def to_chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    def describe(self) -> dict[str, Any]:
        return {**self.to_user(), "blocked": self.blocked, "started": self.started}


@dataclass(slots=True)
class StoredMessage:
    """A message as Telegram holds it: visible text plus entities, and the raw markup kept too."""

    message_id: int
    chat_id: int
    sender: str  # "user" or "bot"
    date: int
    kind: str  # text, photo, document, voice, sticker, animation, location, contact, ...
    text: str | None = None
    raw_text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    raw_caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None  # inline keyboards only, as in Message objects
    content: dict[str, Any] = field(default_factory=dict)  # Message fields of the media/kind
    file_id: str | None = None
    reply_to: int | None = None
    edit_date: int | None = None
    deleted: bool = False
    forward_origin: dict[str, Any] | None = None

    def buttons(self) -> list[list[dict[str, Any]]]:
        if not self.reply_markup:
            return []
        return [
            [
                {
                    key: button[key]
                    for key in ("text", "callback_data", "url")
                    if button.get(key) is not None
                }
                for button in row
            ]
            for row in self.reply_markup.get("inline_keyboard", [])
        ]


@dataclass(slots=True)
class Chat:
    id: int
    user: SimUser
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    force_reply: dict[str, Any] | None = None
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    chat_actions: list[dict[str, Any]] = field(default_factory=list)

    def allocate_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def visible(self) -> list[StoredMessage]:
        return [m for m in self.messages.values() if not m.deleted]


@dataclass(slots=True)
class CallbackRecord:
    id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    answered: bool = False


@dataclass(slots=True)
class RecordedCall:
    seq: int
    time: float
    method: str
    params: dict[str, Any]
    chat_id: int | None
    ok: bool = True
    error_code: int | None = None
    description: str | None = None
    fault: str | None = None
    affected: list[int] = field(default_factory=list)  # message ids sent, edited or deleted
    finished: float | None = None  # clock time the outcome was settled

    def describe(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "method": self.method,
            "params": self.params,
            "chat_id": self.chat_id,
            "ok": self.ok,
            "error_code": self.error_code,
            "description": self.description,
            "fault": self.fault,
            "affected": self.affected,
            "finished": self.finished,
        }


def sanitize_params(params: dict[str, Any]) -> dict[str, Any]:
    """Recorded parameters, with uploaded bytes replaced by a short description."""

    def clean(value: Any) -> Any:
        if isinstance(value, UploadedFile):
            return {
                "upload": value.filename,
                "content_type": value.content_type,
                "size": len(value.data),
            }
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return {key: clean(value) for key, value in params.items()}


class BotWorld:
    """One bot token's view of Telegram."""

    def __init__(self, emulator: Emulator, token: str, bot_id: int) -> None:
        self.emulator = emulator
        self.token = token
        self.bot_id = bot_id
        self.first_name = "Holos Emulator Bot"
        self.username = f"holos_emulator_{bot_id}_bot"
        self.users: dict[int, SimUser] = {}
        self.chats: dict[int, Chat] = {}
        self.updates: list[dict[str, Any]] = []
        self.filtered_updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self.allowed_updates: list[str] | None = None
        self.webhook: WebhookConfig | None = None
        self.webhook_task: asyncio.Task[None] | None = None
        self.webhook_last_error_date: int | None = None
        self.webhook_last_error_message: str | None = None
        self.webhook_deliveries: list[dict[str, Any]] = []
        self.files = FileStore(bot_id)
        self.calls: list[RecordedCall] = []
        self.invalid_calls: list[dict[str, Any]] = []
        self.faults = FaultPlan()
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.profile_texts: dict[tuple[str, str], str] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self._callback_ids = itertools.count(1)
        self._seq = 0
        self._waiters: set[asyncio.Future[None]] = set()
        self.poll_owner: object | None = None
        self.last_activity: dict[int, float] = {}
        self.in_flight: dict[int, int] = {}

    # --- change notification ----------------------------------------------------------------

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    @property
    def seq(self) -> int:
        return self._seq

    def notify(self) -> None:
        """Wake everyone waiting for a change (long polls, webhook sender, reply waits)."""
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_change(self, timeout: float | None) -> bool:
        """Wait until notify() or the timeout; True when something changed."""
        if timeout is not None and timeout <= 0:
            return False
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(waiter)

    # --- identity ---------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # --- users and chats --------------------------------------------------------------------

    def add_user(self, user: SimUser) -> SimUser:
        existing = self.users.get(user.id)
        if existing:
            # Re-creating a user updates their profile (a test may change language).
            existing.first_name = user.first_name
            existing.last_name = user.last_name
            existing.username = user.username
            existing.language_code = user.language_code
            return existing
        self.users[user.id] = user
        self.chats[user.id] = Chat(id=user.id, user=user)
        return user

    def user(self, user_id: int) -> SimUser:
        user = self.users.get(user_id)
        if user is None:
            raise ControlError(404, f"no simulated user {user_id}; create it first")
        return user

    def chat_for_user(self, user_id: int) -> Chat:
        self.user(user_id)
        return self.chats[user_id]

    def resolve_chat_id(self, chat_id: Any) -> int | None:
        if isinstance(chat_id, int):
            return chat_id
        if isinstance(chat_id, str):
            if re.fullmatch(r"-?\d+", chat_id):
                return int(chat_id)
            if chat_id.startswith("@"):
                for user in self.users.values():
                    if user.username and user.username.lower() == chat_id[1:].lower():
                        return user.id
        return None

    def bot_chat(self, chat_id: Any, *, sending: bool = True) -> Chat:
        """The private chat a bot call targets, refused the way Telegram refuses it."""
        resolved = self.resolve_chat_id(chat_id)
        chat = self.chats.get(resolved) if resolved is not None else None
        if chat is None:
            raise bad_request("chat not found")
        if chat.user.blocked:
            raise forbidden("bot was blocked by the user")
        if sending and not chat.user.started:
            raise forbidden("bot can't initiate conversation with a user")
        return chat

    def message(self, chat: Chat, message_id: int) -> StoredMessage | None:
        message = chat.messages.get(message_id)
        return None if message is None or message.deleted else message

    # --- updates ----------------------------------------------------------------------------

    def update_allowed(self, kind: str) -> bool:
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in DEFAULT_EXCLUDED_UPDATES

    def enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update for the bot, unless allowed_updates filters it out (as Telegram does
        when the update is created, not when it is fetched)."""
        update = {"update_id": next(self._update_ids), kind: payload}
        if self.update_allowed(kind):
            self.updates.append(update)
        else:
            self.filtered_updates.append(update)
            update = {**update, "filtered": True}
        self.next_seq()
        self.notify()
        return update

    def confirm(self, offset: int) -> None:
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]

    # --- recording --------------------------------------------------------------------------

    def record(self, call: RecordedCall) -> RecordedCall:
        self.calls.append(call)
        if call.chat_id is not None:
            self.in_flight[call.chat_id] = self.in_flight.get(call.chat_id, 0) + 1
        return call

    def landed_seq(self, chat_id: int, upto: int) -> int:
        """The newest seq, at most ``upto``, up to which every call for this chat has landed.

        A call gets its seq when it arrives but changes the chat only after its latency, so
        a view of the chat may claim no more than this: a waiter that resumes after a claimed
        seq would otherwise miss the landing of a call still on the wire."""
        pending = self.in_flight.get(chat_id, 0)
        for call in reversed(self.calls):
            if not pending:
                break
            if call.chat_id == chat_id and call.finished is None:
                upto = min(upto, call.seq - 1)
                pending -= 1
        return upto

    def finish(self, call: RecordedCall, error: BotApiError | None = None) -> None:
        if error is not None:
            call.ok = False
            call.error_code = error.code
            call.description = error.description
            if error.code in INVALID_CALL_CODES and call.fault is None:
                self.invalid_calls.append(
                    {
                        "seq": call.seq,
                        "method": call.method,
                        "params": call.params,
                        "error_code": error.code,
                        "description": error.description,
                    }
                )
        call.finished = self.emulator.clock.now()
        if call.chat_id is not None:
            self.in_flight[call.chat_id] = max(self.in_flight.get(call.chat_id, 1) - 1, 0)
            self.last_activity[call.chat_id] = asyncio.get_running_loop().time()
        self.notify()

    def new_callback_id(self) -> str:
        return f"{self.bot_id}{next(self._callback_ids):08d}"


MAX_LATENCY_MS = 10_000


class Emulator:
    """All bot worlds plus the settings shared by them (clock, webhook backoff, sandbox token)."""

    def __init__(
        self,
        *,
        sandbox_token: str | None = None,
        clock: EmulatorClock | None = None,
        webhook_retry_initial: float = 1.0,
        webhook_retry_max: float = 60.0,
        webhook_timeout: float = 10.0,
        allow_remote_webhooks: bool = False,
        latency_ms: float = 0.0,
    ) -> None:
        if sandbox_token is not None and not TOKEN_RE.match(sandbox_token):
            raise ValueError("sandbox_token must look like a bot token: <digits>:<30+ chars>")
        self.sandbox_token = sandbox_token
        self.clock = clock or EmulatorClock()
        self.webhook_retry_initial = webhook_retry_initial
        self.webhook_retry_max = webhook_retry_max
        self.webhook_timeout = webhook_timeout
        # Webhooks go to loopback only unless allowed: the emulator must never become a way to
        # send traffic off the machine by accident.
        self.allow_remote_webhooks = allow_remote_webhooks
        # Added to every Bot API call before it takes effect (a network round trip to
        # Telegram); the benchmarks compare 0 ms with 50 ms.
        self.latency_ms = 0.0
        self.set_latency(latency_ms)
        self.worlds: dict[str, BotWorld] = {}
        # Refusals that belong to no world (malformed tokens).
        self.unrouted_invalid_calls: list[dict[str, Any]] = []
        self.closed = False

    def set_latency(self, latency_ms: float) -> None:
        if not 0 <= latency_ms <= MAX_LATENCY_MS:
            raise ValueError(f"latency_ms must be between 0 and {MAX_LATENCY_MS}")
        self.latency_ms = float(latency_ms)

    def world(self, token: str) -> BotWorld:
        world = self.worlds.get(token)
        if world is None:
            match = TOKEN_RE.match(token)
            if not match:
                raise ControlError(400, "malformed bot token")
            world = BotWorld(self, token, int(match.group(1)))
            self.worlds[token] = world
        return world

    @property
    def invalid_calls(self) -> list[dict[str, Any]]:
        """Every refused call of every bot, each tagged with its masked token."""
        calls = list(self.unrouted_invalid_calls)
        for token, world in self.worlds.items():
            calls.extend({**call, "token": mask_token(token)} for call in world.invalid_calls)
        return calls

    async def reset_world(self, token: str) -> None:
        world = self.worlds.pop(token, None)
        if world is not None:
            await _stop_world(world)

    async def aclose(self) -> None:
        """Stop webhook senders and release long polls; call before the server shuts down."""
        self.closed = True
        for world in list(self.worlds.values()):
            await _stop_world(world)


async def _stop_world(world: BotWorld) -> None:
    world.webhook = None
    world.poll_owner = None
    task, world.webhook_task = world.webhook_task, None
    world.notify()
    if task is not None:
        task.cancel()
        # Shutting down either way: whatever the sender task died of no longer matters.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
