# ruff: noqa: ASYNC109 - timeouts here are forwarded to server-side waits, by design
"""Async Python client for the control API, so tests read like conversations.

    async with EmulatorClient(em.base_url) as client:
        bot = client.bot(token)
        user = await bot.create_user(id=1001, first_name="Olena", language_code="uk")
        replies = await user.send_text("/start")
        await user.press("English")

User actions wait for the bot properly instead of sleeping: the server blocks until the bot
has acted in that chat, then until it has been quiet for a moment (``quiet``), and returns what
changed. Every answer also carries the whole chat as the user sees it, which the user object
keeps, so ``user.last_bot_message()`` and ``user.callback_answers`` need no extra request.

Long on purpose: the whole control API seen from a test, one method per action a
person can take, so a test author finds every action in one place.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tgemu.tls import shared_tls

DEFAULT_TIMEOUT = 10.0
DEFAULT_QUIET = 0.15


class EmulatorControlError(RuntimeError):
    """The control API refused a request (e.g. no such button)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class NoReplyError(AssertionError):
    """The bot did not answer within the timeout."""


class UnexpectedReplyError(AssertionError):
    """The bot answered when the test expected silence."""


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message as the user sees it."""

    message_id: int
    sender: str  # "user" or "bot"
    kind: str
    text: str | None
    raw_text: str | None
    caption: str | None
    buttons: tuple[tuple[Button, ...], ...]
    date: int
    edit_date: int | None
    file: dict[str, Any] | None
    entities: tuple[dict[str, Any], ...] = ()
    content: dict[str, Any] = field(default_factory=dict)
    reply_to_message_id: int | None = None

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> ChatMessage:
        return cls(
            message_id=view["message_id"],
            sender=view["sender"],
            kind=view["kind"],
            text=view.get("text"),
            raw_text=view.get("raw_text"),
            caption=view.get("caption"),
            buttons=tuple(
                tuple(Button(b["text"], b.get("callback_data"), b.get("url")) for b in row)
                for row in view.get("buttons", [])
            ),
            date=view["date"],
            edit_date=view.get("edit_date"),
            file=view.get("file"),
            entities=tuple(view.get("entities") or ()),
            content=dict(view.get("content") or {}),
            reply_to_message_id=view.get("reply_to_message_id"),
        )

    @property
    def from_bot(self) -> bool:
        return self.sender == "bot"

    @property
    def body(self) -> str:
        """Text or caption, whichever the message has."""
        return self.text or self.caption or ""

    @property
    def button_labels(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]

    def button(self, label: str) -> Button:
        for row in self.buttons:
            for candidate in row:
                if candidate.text == label:
                    return candidate
        raise KeyError(f"no button {label!r}; buttons: {self.button_labels}")


class Replies(list[ChatMessage]):
    """Bot messages sent or edited in response to one user action, in order, as they are now."""

    def __init__(self, activity: dict[str, Any] | None = None) -> None:
        activity = activity or {}
        super().__init__(ChatMessage.from_view(v) for v in activity.get("messages", []))
        self.calls: list[dict[str, Any]] = list(activity.get("calls", []))
        self.deleted: list[int] = list(activity.get("deleted", []))
        self.callback_answers: list[dict[str, Any]] = list(activity.get("callback_answers", []))
        self.timed_out: bool = bool(activity.get("timed_out", False))

    @property
    def text(self) -> str:
        """All reply bodies joined: handy for ``assert "receipt" in replies.text``."""
        return "\n".join(m.body for m in self)

    @property
    def last(self) -> ChatMessage:
        if not self:
            raise NoReplyError("the bot sent or edited no message")
        return self[-1]


class EmulatorClient:
    """Entry point: one per emulator base URL."""

    def __init__(
        self, base_url: str, *, timeout: float = 60.0, quiet: float = DEFAULT_QUIET
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # How long the bot must stay silent before an action's replies count as complete.
        self.quiet = quiet
        self._http = httpx.AsyncClient(
            base_url=f"{self.base_url}/_emulator",
            timeout=timeout,
            trust_env=False,
            verify=shared_tls(),
        )

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        response = await self._http.request(method, path, json=json, **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise EmulatorControlError(response.status_code, str(detail))
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    def bot(self, token: str) -> BotHandle:
        return BotHandle(self, token)

    async def health(self) -> dict[str, Any]:
        health: dict[str, Any] = await self.request("GET", "/health")
        return health

    async def sandbox_config(self) -> dict[str, Any]:
        config: dict[str, Any] = await self.request("GET", "/sandbox-config")
        return config

    async def advance_clock(self, seconds: float) -> float:
        """Move the emulator clock forward (message dates, the 48-hour deletion rule)."""
        now: float = (await self.request("POST", "/clock/advance", {"seconds": seconds}))["now"]
        return now

    async def set_latency(self, latency_ms: float) -> None:
        """Delay every Bot API call of every bot by ``latency_ms`` (a network round trip)."""
        await self.request("PUT", "/latency", {"latency_ms": latency_ms})

    async def latency(self) -> float:
        answer: dict[str, float] = await self.request("GET", "/latency")
        return answer["latency_ms"]

    async def invalid_calls(self) -> list[dict[str, Any]]:
        """Refused calls of every bot on this emulator."""
        calls: list[dict[str, Any]] = await self.request("GET", "/invalid-calls")
        return calls


class BotHandle:
    """One bot token's world."""

    def __init__(self, client: EmulatorClient, token: str) -> None:
        self.client = client
        self.token = token
        self._base = f"/bots/{token}"
        # Optional: awaited after the bot has answered an action, until the bot under test has
        # finished handling everything it was sent. A harness that can see the bot's own
        # in-flight count sets it, so an answer is complete however slow the machine is, rather
        # than after ``quiet`` seconds of silence.
        self.settle: Callable[[], Awaitable[None]] | None = None

    async def _call(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        return await self.client.request(method, f"{self._base}{path}", json, **kwargs)

    async def create_user(
        self,
        id: int | None = None,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "uk",
    ) -> SimulatedUser:
        data = await self._call(
            "POST",
            "/users",
            {
                "id": id,
                "first_name": first_name,
                "last_name": last_name,
                "username": username,
                "language_code": language_code,
            },
        )
        return SimulatedUser(self, data, cursor=data["seq"])

    async def user(self, user_id: int) -> SimulatedUser:
        """A handle on an existing user (e.g. one created by the sandbox page)."""
        view = await self._call("GET", f"/users/{user_id}/chat")
        user = SimulatedUser(self, view["user"], cursor=view["seq"])
        user._absorb_chat(view)
        return user

    async def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        """Recorded Bot API calls of this bot (all outcomes), oldest first."""
        params = {"method": method} if method else {}
        calls: list[dict[str, Any]] = await self._call("GET", "/calls", params=params)
        return calls

    async def invalid_calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = await self._call("GET", "/invalid-calls")
        return calls

    async def state(self) -> dict[str, Any]:
        state: dict[str, Any] = await self._call("GET", "/state")
        return state

    async def reset(self) -> None:
        await self._call("POST", "/reset")

    async def download(self, file_id: str) -> bytes:
        """Bytes of any file this bot's world holds (e.g. what the bot uploaded)."""
        content: bytes = await self._call("GET", f"/files/{file_id}")
        return content

    async def inject_retry_after(
        self, method: str = "*", *, times: int = 1, retry_after: int = 1
    ) -> None:
        """The next ``times`` calls answer 429 Too Many Requests with ``retry_after``."""
        await self._fault("retry_after", method, times=times, retry_after=retry_after)

    async def inject_server_error(self, method: str = "*", *, times: int = 1) -> None:
        await self._fault("server_error", method, times=times)

    async def inject_drop(self, method: str = "*", *, times: int = 1) -> None:
        """The next ``times`` calls get no HTTP response: the connection is closed."""
        await self._fault("drop", method, times=times)

    async def inject_delay(
        self, method: str = "*", seconds: float = 1.0, *, times: int | None = 1
    ) -> None:
        """Delay the next ``times`` calls (``None``: every call until cleared)."""
        await self._fault("delay", method, times=times, seconds=seconds)

    async def clear_faults(self) -> None:
        await self._call("DELETE", "/faults")

    async def _fault(self, kind: str, method: str, **data: Any) -> None:
        await self._call("POST", "/faults", {"kind": kind, "method": method, **data})


class SimulatedUser:
    """A person in a private chat with the bot."""

    def __init__(self, bot: BotHandle, data: dict[str, Any], *, cursor: int) -> None:
        self.bot = bot
        self.id: int = data["id"]
        self.first_name: str = data.get("first_name", "")
        self.language_code: str | None = data.get("language_code")
        self._cursor = cursor
        self._messages: list[ChatMessage] = []
        self._callback_answers: list[dict[str, Any]] = []
        self.reply_keyboard: dict[str, Any] | None = None

    # --- cached view ------------------------------------------------------------------------

    def _absorb_chat(self, view: dict[str, Any]) -> None:
        self._messages = [ChatMessage.from_view(m) for m in view.get("messages", [])]
        self._callback_answers = list(view.get("callback_answers", []))
        self.reply_keyboard = view.get("reply_keyboard")

    @property
    def messages(self) -> list[ChatMessage]:
        """The chat as of the last interaction (``await chat()`` for a fresh copy)."""
        return list(self._messages)

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        """Answers to this user's button presses (text, show_alert), as of the last interaction."""
        return list(self._callback_answers)

    def last_bot_message(self) -> ChatMessage | None:
        for message in reversed(self._messages):
            if message.from_bot:
                return message
        return None

    async def chat(self) -> list[ChatMessage]:
        view = await self.bot._call("GET", f"/users/{self.id}/chat")
        self._absorb_chat(view)
        return self.messages

    # --- waiting ----------------------------------------------------------------------------

    async def _wait(
        self,
        after_seq: int,
        timeout: float,
        quiet: float | None,
        mode: str = "reply",
    ) -> dict[str, Any]:
        if quiet is None:
            quiet = self.bot.client.quiet
        activity: dict[str, Any] = await self.bot._call(
            "POST",
            f"/chats/{self.id}/wait",
            {"after_seq": after_seq, "timeout": timeout, "quiet": quiet, "mode": mode},
        )
        if mode == "reply" and not activity["timed_out"] and self.bot.settle is not None:
            await self.bot.settle()
            # Everything the bot did in this chat since ``after_seq``, now that it is idle.
            activity = await self.bot._call(
                "POST",
                f"/chats/{self.id}/wait",
                {"after_seq": after_seq, "timeout": 0, "quiet": 0, "mode": "change"},
            )
        self._absorb_chat(activity["chat"])
        self._cursor = max(self._cursor, activity["seq"])
        return activity

    async def _act(
        self,
        path: str,
        payload: dict[str, Any],
        *,
        wait: bool,
        timeout: float,
        quiet: float | None,
    ) -> Replies:
        result = await self.bot._call("POST", f"/users/{self.id}{path}", payload)
        self._absorb_chat(result["chat"])
        started = result["seq"]
        self._cursor = max(self._cursor, started)
        if not wait:
            return Replies()
        if quiet is None and self.bot.settle is not None:
            # The bot says when it is idle: a spell of silence on top of that only waits.
            quiet = 0.0
        activity = await self._wait(started, timeout, quiet)
        if activity["timed_out"]:
            raise NoReplyError(f"the bot did not answer {path} within {timeout} s")
        return Replies(activity)

    async def wait_reply(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        quiet: float | None = None,
    ) -> Replies:
        """Wait for bot activity not caused by this user (e.g. a staff reply via the outbox)."""
        activity = await self._wait(self._cursor, timeout, quiet)
        if activity["timed_out"]:
            raise NoReplyError(f"the bot sent nothing within {timeout} s")
        return Replies(activity)

    async def expect_no_reply(self, within: float = 0.5) -> None:
        activity = await self._wait(self._cursor, within, 0.0)
        if not activity["timed_out"]:
            methods = [c["method"] for c in activity["calls"]]
            raise UnexpectedReplyError(f"the bot answered unexpectedly: {methods}")

    async def wait_for(
        self,
        predicate: Callable[[ChatMessage], bool],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> ChatMessage:
        """Wait until a visible message (newest first) satisfies ``predicate``; return it."""
        deadline = time.monotonic() + timeout
        seq = self._cursor
        while True:
            view = await self.bot._call("GET", f"/users/{self.id}/chat")
            self._absorb_chat(view)
            for message in reversed(self._messages):
                if predicate(message):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NoReplyError(f"no message matched within {timeout} s")
            activity = await self._wait(max(seq, view["seq"]), remaining, 0.0, mode="change")
            seq = activity["seq"]

    # --- actions ----------------------------------------------------------------------------

    async def send_text(
        self,
        text: str,
        *,
        reply_to: int | None = None,
        wait: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        quiet: float | None = None,
    ) -> Replies:
        return await self._act(
            "/messages",
            {"kind": "text", "text": text, "reply_to_message_id": reply_to},
            wait=wait,
            timeout=timeout,
            quiet=quiet,
        )

    async def send_command(self, command: str, args: str = "", **kwargs: Any) -> Replies:
        text = command if command.startswith("/") else f"/{command}"
        return await self.send_text(f"{text} {args}".strip(), **kwargs)

    async def _send_media(self, kind: str, payload: dict[str, Any], **kwargs: Any) -> Replies:
        data = payload.pop("data", None)
        if data is not None:
            payload["data_base64"] = base64.b64encode(data).decode("ascii")
        return await self._act(
            "/messages",
            {"kind": kind, **{k: v for k, v in payload.items() if v is not None}},
            wait=kwargs.get("wait", True),
            timeout=kwargs.get("timeout", DEFAULT_TIMEOUT),
            quiet=kwargs.get("quiet"),
        )

    async def send_photo(
        self, data: bytes | None = None, *, caption: str | None = None, **kwargs: Any
    ) -> Replies:
        """Send a photo; without ``data``, a small JPEG carrying EXIF GPS metadata."""
        return await self._send_media("photo", {"data": data, "caption": caption}, **kwargs)

    async def send_document(
        self,
        data: bytes | None = None,
        *,
        file_name: str = "report.pdf",
        mime_type: str = "application/pdf",
        size: int | None = None,
        caption: str | None = None,
        **kwargs: Any,
    ) -> Replies:
        """Send a document; ``size`` without ``data`` declares a file that is not really held
        (use it for files over Telegram's 20 MB download limit)."""
        payload = {
            "data": data,
            "file_name": file_name,
            "mime_type": mime_type,
            "size": size,
            "caption": caption,
        }
        return await self._send_media("document", payload, **kwargs)

    async def send_voice(
        self, data: bytes | None = None, *, duration: int = 3, **kwargs: Any
    ) -> Replies:
        return await self._send_media("voice", {"data": data, "duration": duration}, **kwargs)

    async def send_sticker(self, *, emoji: str = "🙂", **kwargs: Any) -> Replies:
        return await self._send_media("sticker", {"emoji": emoji}, **kwargs)

    async def send_animation(self, data: bytes | None = None, **kwargs: Any) -> Replies:
        return await self._send_media("animation", {"data": data}, **kwargs)

    async def send_video(
        self,
        data: bytes | None = None,
        *,
        duration: int = 2,
        caption: str | None = None,
        **kwargs: Any,
    ) -> Replies:
        payload = {"data": data, "duration": duration, "caption": caption}
        return await self._send_media("video", payload, **kwargs)

    async def send_video_note(self, data: bytes | None = None, **kwargs: Any) -> Replies:
        return await self._send_media("video_note", {"data": data}, **kwargs)

    async def send_location(self, latitude: float, longitude: float, **kwargs: Any) -> Replies:
        return await self._send_media(
            "location", {"latitude": latitude, "longitude": longitude}, **kwargs
        )

    async def send_contact(
        self, phone_number: str, first_name: str | None = None, **kwargs: Any
    ) -> Replies:
        return await self._send_media(
            "contact", {"phone_number": phone_number, "first_name": first_name}, **kwargs
        )

    async def send_poll(self, question: str, options: list[str], **kwargs: Any) -> Replies:
        return await self._send_media("poll", {"question": question, "options": options}, **kwargs)

    async def edit(self, message_id: int, text: str, **kwargs: Any) -> Replies:
        """Edit one of the user's earlier messages (the bot gets an edited_message)."""
        return await self._act(
            "/edit",
            {"message_id": message_id, "text": text},
            wait=kwargs.get("wait", True),
            timeout=kwargs.get("timeout", DEFAULT_TIMEOUT),
            quiet=kwargs.get("quiet"),
        )

    async def press(
        self,
        label: str | None = None,
        *,
        data: str | None = None,
        message_id: int | None = None,
        wait: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        quiet: float | None = None,
    ) -> Replies:
        """Press an inline button by label (or callback ``data``) on the newest bot message
        that has it, or on ``message_id`` (an older message)."""
        return await self._act(
            "/press",
            {"text": label, "callback_data": data, "message_id": message_id},
            wait=wait,
            timeout=timeout,
            quiet=quiet,
        )

    async def send_callback(
        self,
        data: str,
        message_id: int,
        *,
        inaccessible: bool = False,
        wait: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        quiet: float | None = None,
    ) -> Replies:
        """Send arbitrary callback data on a message: a stale or forged button."""
        return await self._act(
            "/callback",
            {"data": data, "message_id": message_id, "inaccessible": inaccessible},
            wait=wait,
            timeout=timeout,
            quiet=quiet,
        )

    async def block(self) -> None:
        await self._act("/block", {}, wait=False, timeout=0, quiet=0)

    async def unblock(self) -> None:
        await self._act("/unblock", {}, wait=False, timeout=0, quiet=0)
