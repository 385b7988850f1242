"""The bot under load: simulated people file whole reports with a photo, against the Holos
bot and against a twelve-line aiogram echo bot on the same emulator.

Each person waits a think time (uniform 0.5–1.5 × ``think`` seconds) before each step, so
the offered load is about people / think updates per second; with ``think=0`` every person
sends the next step as soon as the last is answered (the ceiling). A step's latency runs from
the moment the person acts to the moment the bot's last reply call took effect, by the
emulator's clock. Each bot runs in its own process, so its CPU and memory are its own.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.machine import cpu_seconds, peak_rss_mib
from bench.processes import child, emulator
from storage.catalog import load_oblasts
from tgemu import EmulatorClient, Replies, SimulatedUser
from tgemu.client import EmulatorControlError, NoReplyError

Step = Callable[[SimulatedUser, float], Awaitable[Replies]]
NARRATIVE = "We received only half of the food kit, and nobody could tell us why."
QUIET = 0.05  # silence that ends a reply; steps are timed by the emulator, not by this
STEP_TIMEOUT = 10.0  # a step unanswered this long counts as timed out, and its person gives up
# Telegram's overall limit for one bot token, in messages a second: the physical ceiling.
TELEGRAM_LIMIT = 30.0
# The calls that put a message in a chat or change one: what that limit counts (as the
# pacer does, bot.pacing.BOT_METHODS; deleting a message is not among them).
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendMediaGroup",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "copyMessage",
        "forwardMessage",
    }
)


def _oblast_label(code: str, language: str) -> str:
    name = next(o for o in load_oblasts() if o.code == code).name(language)
    return name.removesuffix(" Oblast").removesuffix(" область")


def text(value: str) -> Step:
    return lambda user, timeout: user.send_text(value, timeout=timeout)


def press(label: str) -> Step:
    async def step(user: SimulatedUser, wait_s: float) -> Replies:
        try:
            return await user.press(label, timeout=wait_s)
        except EmulatorControlError as exc:
            if exc.status != 404:
                raise
        # The last reply was still coming (a pause longer than QUIET inside it): wait for
        # the button, as a person would. Step latencies come from the recorded calls, so
        # this does not bend them.
        await user.wait_for(lambda m: label in m.button_labels, timeout=wait_s)
        return await user.press(label, timeout=wait_s)

    return step


def photo(caption: str) -> Step:
    return lambda user, timeout: user.send_photo(caption=caption, timeout=timeout)


def holos_report() -> list[Step]:
    """A whole report in English, as tests/handlers/conversation.py walks it, with a photo."""
    return [
        text("/start"),
        press("📝 Complaint or feedback"),
        press("Quality or quantity of assistance"),
        press("Food assistance"),
        press(_oblast_label("UA-63", "en")),
        text(NARRATIVE),
        photo("The list they showed us"),
        press("✅ Done"),
        press("🔒 Anonymous"),
        press("✅ Send"),
    ]


def echo_report() -> list[Step]:
    """The same number of updates for the echo bot (it has no buttons: text instead)."""
    return [
        text("/start"),
        *(text(f"step {n}") for n in range(4)),
        text(NARRATIVE),
        photo("The list they showed us"),
        *(text(f"step {n}") for n in range(5, 8)),
    ]


@dataclass
class BotRun:
    bot: str
    latency_ms: float
    people: int
    think_s: float
    steps_done: int = 0
    steps_timed_out: int = 0
    steps_failed: int = 0
    reports_completed: int = 0
    wall_s: float = 0.0
    updates_per_s: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    cpu_ms_per_update: float | None = None
    peak_rss_mib: float | None = None
    errors_logged: int = 0
    first_errors: list[str] = field(default_factory=list)
    emulator_cpu_ms_per_update: float | None = None
    driver_cpu_ms_per_update: float | None = None
    first_failures: list[str] = field(default_factory=list)
    messages: int = 0
    messages_per_step: float | None = None
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    starts: dict[int, list[float]] = field(default_factory=dict, repr=False)

    def note(self, failure: str) -> None:
        if len(self.first_failures) < 5:
            self.first_failures.append(failure)

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("latencies_ms")
        data.pop("starts")
        data["ceiling_steps_per_s"] = self.ceiling_steps_per_s
        return data

    @property
    def ceiling_steps_per_s(self) -> float | None:
        """Steps a second Telegram's limit allows at this many messages a step."""
        if not self.messages_per_step:
            return None
        return round(TELEGRAM_LIMIT / self.messages_per_step, 1)


async def _person(
    base_url: str,
    token: str,
    number: int,
    script: list[Step],
    run: BotRun,
    rng: random.Random,
    step_timeout: float,
) -> None:
    async with EmulatorClient(base_url, quiet=QUIET) as client:
        user = await client.bot(token).create_user(
            id=5_000_000 + number, first_name=f"Person{number}", language_code="en"
        )
        for step in script:
            if run.think_s:
                await asyncio.sleep(run.think_s * rng.uniform(0.5, 1.5))
            run.starts.setdefault(user.id, []).append(time.time())
            try:
                await step(user, step_timeout)
            except NoReplyError as exc:
                run.steps_timed_out += 1
                run.note(f"step {script.index(step) + 1}: {exc}")
                return
            except EmulatorControlError as exc:  # no such button: the bot went elsewhere
                run.steps_failed += 1
                run.note(f"step {script.index(step) + 1}: {exc}")
                return
            run.steps_done += 1
        run.reports_completed += 1


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1)


async def _drive(
    base_url: str,
    token: str,
    run: BotRun,
    script: list[Step],
    deadline_s: float,
    step_timeout: float,
) -> None:
    rng = random.Random(run.people)  # the same offered load for both bots
    tasks = [
        asyncio.create_task(
            _person(base_url, token, n, script, run, random.Random(rng.random()), step_timeout)
        )
        for n in range(run.people)
    ]
    _, pending = await asyncio.wait(tasks, timeout=deadline_s)
    for task in pending:  # still walking at the deadline: their unfinished steps are lost
        task.cancel()
    for outcome in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(outcome, Exception) and not isinstance(outcome, asyncio.CancelledError):
            raise outcome


def step_latencies(starts: dict[int, list[float]], calls: list[dict[str, Any]]) -> list[float]:
    """Milliseconds from each step to the last bot call it caused (before the next step),
    by the emulator's clock; a step the bot never answered has none."""
    finished: dict[int, list[float]] = {}
    for call in calls:
        if call.get("chat_id") is not None and call.get("finished") and call.get("ok"):
            finished.setdefault(call["chat_id"], []).append(call["finished"])
    latencies = []
    for chat_id, moments in starts.items():
        done = sorted(finished.get(chat_id, []))
        bounds = [*moments[1:], float("inf")]
        for start, end in zip(moments, bounds, strict=True):
            within = [t for t in done if start <= t < end]
            if within:
                latencies.append((max(within) - start) * 1000)
    return latencies


def messages_sent(calls: list[dict[str, Any]]) -> int:
    """Messages sent or edited in people's chats, as Telegram's overall limit counts them."""
    return sum(
        1
        for call in calls
        if call["method"] in MESSAGE_METHODS and call.get("chat_id") is not None and call.get("ok")
    )


def _errors_in(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if "ERROR" in line]


async def measure(
    base_url: str,
    kind: str,
    *,
    latency_ms: float,
    people: int,
    think_s: float,
    deadline_s: float,
    workdir: Path,
    step_timeout: float = STEP_TIMEOUT,
    emulator_pid: int | None = None,
) -> BotRun:
    token = f"{secrets.randbelow(9 * 10**8) + 10**8}:{secrets.token_urlsafe(32)}"
    async with EmulatorClient(base_url) as control:
        await control.set_latency(latency_ms)
    run = BotRun(kind, latency_ms, people, think_s)
    data_dir = Path(tempfile.mkdtemp(dir=workdir))
    log = data_dir / f"{kind}.log"
    args = (
        ["-m", "bench.holos_bot", base_url, token, str(data_dir)]
        if kind == "holos"
        else ["-m", "bench.echo_bot", base_url, token]
    )
    script = holos_report() if kind == "holos" else echo_report()
    with child(args, log, ready="ready") as proc:
        await asyncio.sleep(0.5)  # let polling begin
        cpu_before = cpu_seconds(proc.pid)
        emulator_before = cpu_seconds(emulator_pid) if emulator_pid else 0.0
        driver_before = time.process_time()
        started = time.perf_counter()
        await _drive(base_url, token, run, script, deadline_s, step_timeout)
        run.wall_s = round(time.perf_counter() - started, 2)
        cpu = cpu_seconds(proc.pid) - cpu_before
        driver = time.process_time() - driver_before
        emulator_cpu = cpu_seconds(emulator_pid) - emulator_before if emulator_pid else None
        async with EmulatorClient(base_url) as control:
            calls = await control.bot(token).calls()
        run.latencies_ms = step_latencies(run.starts, calls)
        run.messages = messages_sent(calls)
        run.peak_rss_mib = peak_rss_mib(proc.pid)
    errors = _errors_in(log)
    run.errors_logged, run.first_errors = len(errors), errors[:3]
    run.updates_per_s = round(run.steps_done / run.wall_s, 1) if run.wall_s else 0.0
    run.p50_ms = _percentile(run.latencies_ms, 50)
    run.p99_ms = _percentile(run.latencies_ms, 99)
    if run.steps_done:
        run.messages_per_step = round(run.messages / run.steps_done, 2)
        run.cpu_ms_per_update = round(cpu * 1000 / run.steps_done, 2)
        run.driver_cpu_ms_per_update = round(driver * 1000 / run.steps_done, 2)
        if emulator_cpu is not None:
            run.emulator_cpu_ms_per_update = round(emulator_cpu * 1000 / run.steps_done, 2)
    return run


def plan(scale: float) -> list[tuple[float, int, float]]:
    """(latency ms, people, think s) for each pair of runs; the last row is the ceiling."""
    people = sorted({max(2, round(n * scale)) for n in (50, 100, 300)})
    rows = [(latency, n, 1.0) for latency in (0.0, 50.0) for n in people]
    rows.append((0.0, people[0], 0.0))
    return rows


async def run_all(
    scale: float,
    workdir: Path,
    deadline_s: float,
    *,
    people_only: Sequence[int] = (),
    latency_only: Sequence[float] = (),
) -> list[BotRun]:
    """Every row of :func:`plan`; or, given ``people_only``, a row with each of those
    numbers of people (think 1 s) at each latency (``latency_only``, or 0 and 50 ms)."""
    runs: list[BotRun] = []
    if people_only:
        rows = [(latency, n, 1.0) for latency in (latency_only or (0.0, 50.0)) for n in people_only]
    else:
        rows = [row for row in plan(scale) if not latency_only or row[0] in latency_only]
    with emulator(workdir / "emulator.log") as (base_url, emulator_proc):
        for latency_ms, people, think_s in rows:
            for kind in ("echo", "holos"):
                run = await measure(
                    base_url,
                    kind,
                    latency_ms=latency_ms,
                    people=people,
                    think_s=think_s,
                    deadline_s=deadline_s,
                    workdir=workdir,
                    emulator_pid=emulator_proc.pid,
                )
                # The machine is shared: the load next to each figure says how much.
                load = " ".join(f"{x:.1f}" for x in os.getloadavg())
                print(f"  {run.summary()} (load {load})", flush=True)
                runs.append(run)
    return runs


def table(runs: list[BotRun]) -> list[str]:
    by_key = {(r.bot, r.latency_ms, r.people, r.think_s): r for r in runs}
    lines = [
        "| Bot API latency | people | think | Holos updates/s | echo updates/s | ratio "
        "| Holos p50 / p99 ms | echo p50 / p99 ms | CPU ms/update Holos / echo "
        "| Holos steps timed out / failed | peak RSS MiB Holos / echo "
        "| messages per step Holos / echo | Holos steps/s against 30/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (bot, latency, people, think), holos in by_key.items():
        if bot != "holos":
            continue
        echo = by_key.get(("echo", latency, people, think))
        if echo is None:
            continue
        ratio = f"{holos.updates_per_s / echo.updates_per_s:.2f}" if echo.updates_per_s else "—"
        lines.append(
            f"| {latency:.0f} ms | {people} | {'none (ceiling)' if not think else f'{think:g} s'} "
            f"| {holos.updates_per_s} | {echo.updates_per_s} | {ratio} "
            f"| {holos.p50_ms} / {holos.p99_ms} | {echo.p50_ms} / {echo.p99_ms} "
            f"| {holos.cpu_ms_per_update} / {echo.cpu_ms_per_update} "
            f"| {holos.steps_timed_out} / {holos.steps_failed} "
            f"| {holos.peak_rss_mib} / {echo.peak_rss_mib} "
            f"| {holos.messages_per_step} / {echo.messages_per_step} "
            f"| {against_limit(holos)} |"
        )
    return lines


def against_limit(run: BotRun) -> str:
    """Steps a second served, of those Telegram's limit allows at the run's messages per
    step, and the ratio (1.0: the bot is at the ceiling, nothing is left on the table)."""
    ceiling = run.ceiling_steps_per_s
    if not ceiling:
        return "—"
    return f"{run.updates_per_s} of {ceiling} ({run.updates_per_s / ceiling:.2f})"
