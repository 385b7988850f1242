"""Staff alerts by e-mail, against a real SMTP server (aiosmtpd) on loopback, with TLS:
a sealed report reaches every focal point at once and says nothing of itself; the mail
server down never holds up a report; a bouncing address is marked; someone removed or
demoted gets nothing more; two workers send each alert once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import AlertChannel, AlertEvent, OutboxState, Status
from storage.services.alerts import SEALED_WORKLIST_PATH
from storage.services.exclusions import Exclusions
from storage.services.reclassify import Reclassification
from storage.services.staff import StaffService
from storage.services.triage import TriageService
from storage.settings import Settings
from tests.alerts.helpers import alert_rows, bounced_at, choose, mail_worker, staff_with_email
from tests.config import make_settings
from tests.smtp import SmtpServer
from tests.storage.helpers import make_staff, submit, walk_case

ESCALATION = ("investigations@example.org", "ethics@example.org")
NARRATIVE = "Він вимагав секс за продуктовий набір, мені 17."


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, smtp: SmtpServer) -> Settings:
    return make_settings(
        tmp_path,
        database_url,
        smtp_url=smtp.url,
        smtp_ca_file=smtp.cert,
        escalation_emails="investigations@example.org,ethics@example.org",
        public_url="https://holos.example.org",
    )


def sent_count(channel: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "holos_alerts_total", {"channel": channel, "outcome": outcome}
    )
    return value or 0.0


async def test_a_sealed_report_alerts_every_focal_point_at_once_without_content(
    core: Core, smtp: SmtpServer
) -> None:
    await staff_with_email(core, "fp1", "focal_point")
    # A focal point who turned every event off still gets sealed-case alerts.
    await staff_with_email(core, "fp2", "focal_point", events=frozenset(), email_on=False)
    await staff_with_email(core, "oper", "operator")
    before = sent_count("email", "sent")

    submitted = await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    assert await mail_worker(core, smtp).run_once() == 2

    assert sorted(m["To"] for m in smtp.mailbox.messages) == [
        "fp1@example.org",
        "fp2@example.org",
    ]
    for message in smtp.mailbox.messages:
        body = message.get_content()
        whole = str(message["Subject"]) + body
        assert "Holos" in message["Subject"]
        assert "https://holos.example.org" + SEALED_WORKLIST_PATH in body
        assert submitted.ref not in whole
        for secret in ("секс", "sexual", "exploitation", "UA-63", "Одес", "/console/cases/"):
            assert secret not in whole
    assert sent_count("email", "sent") == before + 2
    # Sent once: the next round has nothing.
    assert await mail_worker(core, smtp).run_once() == 0
    assert len(smtp.mailbox.messages) == 2


async def test_alerts_speak_the_console_language_of_their_reader(
    core: Core, smtp: SmtpServer
) -> None:
    await staff_with_email(core, "fp_uk", "focal_point", language=None)
    await staff_with_email(core, "fp_en", "focal_point", language="en")
    await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    await mail_worker(core, smtp).run_once()
    [uk] = smtp.mailbox.to("fp_uk@example.org")
    [en] = smtp.mailbox.to("fp_en@example.org")
    assert uk["Subject"] == "Holos: на вас чекає нове звернення"
    assert "У Holos на вас чекає нове звернення." in uk.get_content()
    assert en["Subject"] == "Holos: a new report needs you"
    assert "A new report needs you in Holos." in en.get_content()


async def test_a_standard_report_alerts_nobody_at_intake(core: Core, smtp: SmtpServer) -> None:
    await staff_with_email(core, "fp1", "focal_point")
    await submit(core)
    assert await mail_worker(core, smtp).run_once() == 0
    assert smtp.mailbox.messages == []


async def test_implicit_tls_works_too(tmp_path: Path, core: Core) -> None:
    server = SmtpServer(tmp_path / "..", implicit_tls=True)
    server.start()
    try:
        await staff_with_email(core, "fp1", "focal_point")
        await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
        assert await mail_worker(core, server).run_once() == 1
        assert [m["To"] for m in server.mailbox.messages] == ["fp1@example.org"]
    finally:
        server.stop()


async def test_the_mail_server_down_never_blocks_a_report_and_the_alert_follows(
    core: Core, smtp: SmtpServer, clock: FrozenClock
) -> None:
    await staff_with_email(core, "fp1", "focal_point")
    smtp.stop()
    before = sent_count("email", "retry")
    submitted = await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    assert submitted.ref

    worker = mail_worker(core, smtp)
    assert await worker.run_once() == 1
    [row] = await alert_rows(core)
    assert row.state == OutboxState.PENDING and row.attempts == 1
    assert row.next_attempt_at > clock.now()
    assert sent_count("email", "retry") == before + 1
    assert await worker.run_once() == 0  # not before its time

    smtp.start()
    clock.advance(timedelta(minutes=5))
    assert await worker.run_once() == 1
    assert [m["To"] for m in smtp.mailbox.messages] == ["fp1@example.org"]
    [row] = await alert_rows(core)
    assert row.state == OutboxState.SENT


async def test_a_bouncing_address_is_marked_and_not_tried_again(
    core: Core, smtp: SmtpServer
) -> None:
    fp = await staff_with_email(core, "fp1", "focal_point", email="gone@example.org")
    await staff_with_email(core, "fp2", "focal_point")
    before = sent_count("email", "bounced")
    await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    await mail_worker(core, smtp).run_once()

    assert smtp.mailbox.refused == ["gone@example.org"]
    assert sent_count("email", "bounced") == before + 1
    assert await bounced_at(core, fp) is not None
    rows = await alert_rows(core)
    assert sorted(r.state for r in rows) == [OutboxState.SENT, OutboxState.UNDELIVERABLE]

    await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    await mail_worker(core, smtp).run_once()
    assert smtp.mailbox.refused == ["gone@example.org"]  # not tried again
    assert [m["To"] for m in smtp.mailbox.messages] == ["fp2@example.org"] * 2

    # Saving the address again (corrected, or on purpose) clears the mark.
    await choose(core, fp, email="fp1@example.org")
    assert await bounced_at(core, fp) is None


async def test_removed_or_demoted_staff_stop_getting_alerts_at_once(
    core: Core, smtp: SmtpServer
) -> None:
    admin = await make_staff(core, "admin", "admin")
    removed = await staff_with_email(core, "fp1", "focal_point")
    demoted = await staff_with_email(core, "fp2", "focal_point")
    await staff_with_email(core, "fp3", "focal_point")
    await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    assert len(await alert_rows(core)) == 3  # queued for all three

    async with core.database.transaction() as session:
        staff = StaffService(session, core)
        await staff.update_user(admin, removed.user_id or 0, is_active=False)
        await staff.update_user(admin, demoted.user_id or 0, role="operator")
    await mail_worker(core, smtp).run_once()

    assert [m["To"] for m in smtp.mailbox.messages] == ["fp3@example.org"]
    states = {r.user_id: r.state for r in await alert_rows(core)}
    assert states[removed.user_id] == OutboxState.UNDELIVERABLE
    assert states[demoted.user_id] == OutboxState.UNDELIVERABLE


async def test_two_workers_send_each_alert_once(core: Core, smtp: SmtpServer) -> None:
    for n in range(3):
        await staff_with_email(core, f"fp{n}", "focal_point")
    for _ in range(4):
        await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    one, two = mail_worker(core, smtp), mail_worker(core, smtp)
    counts = await asyncio.gather(one.run_once(), two.run_once())
    assert sum(counts) == 12
    assert len(smtp.mailbox.messages) == 12
    assert {r.state for r in await alert_rows(core)} == {OutboxState.SENT}


async def test_away_dates_stop_alerts_even_sealed_ones(
    core: Core, smtp: SmtpServer, clock: FrozenClock
) -> None:
    away = await staff_with_email(core, "fp1", "focal_point")
    await staff_with_email(core, "fp2", "focal_point")
    today = clock.now().date()
    await choose(
        core, away, away_from=today - timedelta(days=1), away_until=today + timedelta(days=3)
    )
    await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    await mail_worker(core, smtp).run_once()
    assert [m["To"] for m in smtp.mailbox.messages] == ["fp2@example.org"]


async def test_an_overdue_case_alerts_its_assignee_or_everyone_who_may_take_it(
    core: Core, smtp: SmtpServer, clock: FrozenClock
) -> None:
    await staff_with_email(core, "op1", "operator")
    await staff_with_email(core, "op2", "operator")
    await staff_with_email(core, "fp1", "focal_point")
    standard = await submit(core)
    worker = mail_worker(core, smtp)
    await worker.run_once()
    assert smtp.mailbox.messages == []

    clock.advance(timedelta(days=3, hours=1))  # past a standard case's acknowledgement
    await worker.run_once()
    overdue = [m for m in smtp.mailbox.messages if standard.ref in m.get_content()]
    assert sorted(m["To"] for m in overdue) == ["op1@example.org", "op2@example.org"]
    assert f"/console/cases/{standard.ref}" in overdue[0].get_content()
    await worker.run_once()
    again = [m for m in smtp.mailbox.messages if standard.ref in m.get_content()]
    assert len(again) == 2  # once per case


async def test_an_overdue_assigned_case_alerts_only_the_assignee(
    core: Core, smtp: SmtpServer, clock: FrozenClock
) -> None:
    op1 = await staff_with_email(core, "op1", "operator")
    await staff_with_email(core, "op2", "operator")
    standard = await submit(core)
    async with core.database.transaction() as session:
        from storage.services.triage import CaseChanges, TriageService

        service = TriageService(session, core)
        case = await service.get_visible(standard.ref, op1)
        await service.update(
            standard.ref,
            op1,
            expected_version=case.version,
            changes=CaseChanges(set_assignee=True, assignee_id=op1.user_id),
        )
    clock.advance(timedelta(days=4))
    await mail_worker(core, smtp).run_once()
    overdue = [m["To"] for m in smtp.mailbox.messages if standard.ref in m.get_content()]
    assert overdue == ["op1@example.org"]


async def test_an_unacknowledged_sealed_case_is_escalated_once(
    core: Core, smtp: SmtpServer, clock: FrozenClock
) -> None:
    await staff_with_email(core, "fp1", "focal_point")
    submitted = await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    worker = mail_worker(core, smtp)
    await worker.run_once()
    clock.advance(timedelta(hours=11))
    await worker.run_once()
    assert {m["To"] for m in smtp.mailbox.messages} == {"fp1@example.org"}

    clock.advance(timedelta(hours=1, minutes=1))
    await worker.run_once()
    escalated = [m for m in smtp.mailbox.messages if m["To"] != "fp1@example.org"]
    assert sorted(m["To"] for m in escalated) == [
        "ethics@example.org",
        "investigations@example.org",
    ]
    for message in escalated:
        whole = str(message["Subject"]) + message.get_content()
        assert "12" in whole
        assert submitted.ref not in whole and "секс" not in whole and "sexual" not in whole
    clock.advance(timedelta(hours=13))  # past its acknowledgement too: the focal point again
    await worker.run_once()
    await worker.run_once()
    assert len([m for m in smtp.mailbox.messages if m["To"] != "fp1@example.org"]) == 2


async def test_an_acknowledged_sealed_case_is_not_escalated(
    core: Core, smtp: SmtpServer, clock: FrozenClock
) -> None:
    fp = await staff_with_email(core, "fp1", "focal_point")
    submitted = await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    await walk_case(core, submitted.ref, fp, Status.ACKNOWLEDGED)
    clock.advance(timedelta(hours=13))
    await mail_worker(core, smtp).run_once()
    assert [m["To"] for m in smtp.mailbox.messages] == ["fp1@example.org"]  # the arrival only


async def test_the_reporter_adding_information_alerts_the_assignee(
    core: Core, smtp: SmtpServer
) -> None:
    from storage.services.intake import IntakeService
    from storage.services.triage import CaseChanges, TriageService

    op1 = await staff_with_email(core, "op1", "operator")
    await staff_with_email(core, "op2", "operator")
    standard = await submit(core)
    async with core.database.transaction() as session:
        service = TriageService(session, core)
        case = await service.get_visible(standard.ref, op1)
        await service.update(
            standard.ref,
            op1,
            expected_version=case.version,
            changes=CaseChanges(set_assignee=True, assignee_id=op1.user_id),
        )
        case_id = case.id
    async with core.database.transaction() as session:
        await IntakeService(session, core).add_reporter_info(
            case_id, text="Ще одне: це було вчора."
        )
    await mail_worker(core, smtp).run_once()
    [message] = smtp.mailbox.messages
    assert message["To"] == "op1@example.org"
    assert standard.ref in message.get_content() and "вчора" not in message.get_content()


async def test_the_daily_digest_counts_what_is_due_today(
    core: Core, smtp: SmtpServer, clock: FrozenClock
) -> None:
    await staff_with_email(core, "op1", "operator")
    await staff_with_email(
        core, "op2", "operator", events=frozenset({AlertEvent.OVERDUE})
    )  # no digest
    clock.set(clock.now().replace(hour=1))  # 03:00 in Kyiv: before the digest hour
    for _ in range(2):
        await submit(core)  # acknowledgement due in 72 hours: 03:00 three days on
    worker = mail_worker(core, smtp)
    await worker.run_once()
    assert smtp.mailbox.messages == []
    clock.advance(timedelta(days=3, hours=6))  # 09:00 that day in Kyiv

    def digests() -> list[str]:
        return [
            m["To"] for m in smtp.mailbox.messages if m["Subject"] == "Holos: what is due today"
        ]

    await worker.run_once()
    assert digests() == ["op1@example.org"]
    [digest] = [m for m in smtp.mailbox.messages if m["Subject"] == "Holos: what is due today"]
    assert "2 cases are due today" in digest.get_content()
    await worker.run_once()
    assert digests() == ["op1@example.org"]  # once a day


async def test_alert_rows_hold_no_text(core: Core) -> None:
    await staff_with_email(core, "fp1", "focal_point")
    await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    [row] = await alert_rows(core)
    assert (row.channel, row.event) == (AlertChannel.EMAIL, AlertEvent.SEALED_CASE)
    assert row.address is None and row.count is None


async def test_no_alert_goes_to_someone_without_settings(core: Core, smtp: SmtpServer) -> None:
    await make_staff(core, "fp1", "focal_point")
    await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    assert await alert_rows(core) == []
    _ = Actor  # the account exists; it chose nothing


async def assign(core: Core, ref: str, actor: Actor) -> int:
    from storage.services.triage import CaseChanges, TriageService

    async with core.database.transaction() as session:
        service = TriageService(session, core)
        case = await service.get_visible(ref, actor)
        await service.update(
            ref,
            actor,
            expected_version=case.version,
            changes=CaseChanges(set_assignee=True, assignee_id=actor.user_id),
        )
        return case.id


async def test_a_reply_that_cannot_be_delivered_alerts_the_assignee(
    core: Core, smtp: SmtpServer
) -> None:
    from storage.enums import ContactMode
    from storage.services.intake import ContactChoice
    from storage.services.outbox import OutboxService
    from storage.services.triage import TriageService

    op1 = await staff_with_email(core, "op1", "operator")
    await staff_with_email(core, "op2", "operator")
    submitted = await submit(core, contact=ContactChoice(ContactMode.CHAT, chat_id=777))
    await assign(core, submitted.ref, op1)
    async with core.database.transaction() as session:
        await TriageService(session, core).add_reply(
            submitted.ref, op1, {"uk": "Ми перевірили список.", "en": "We checked the list."}
        )
    async with core.database.transaction() as session:
        outbox = OutboxService(session, core)
        [delivery] = await outbox.claim()
    async with core.database.transaction() as session:
        await OutboxService(session, core).mark_undeliverable(
            delivery.outbox_id, error="TelegramForbiddenError"
        )
    await mail_worker(core, smtp).run_once()
    [message] = smtp.mailbox.messages
    assert message["To"] == "op1@example.org"
    assert message["Subject"] == "Holos: a reply was not delivered"
    assert submitted.ref in message.get_content()
    assert "перевірили" not in message.get_content() and "checked" not in message.get_content()


async def test_retention_forgets_sent_alerts_and_old_marks(
    core: Core, smtp: SmtpServer, clock: FrozenClock
) -> None:
    from storage.services.retention import run_purge

    await staff_with_email(core, "fp1", "focal_point")
    await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    await mail_worker(core, smtp).run_once()
    assert len(await alert_rows(core)) == 1
    clock.advance(timedelta(days=40))
    await run_purge(core)
    assert await alert_rows(core) == []


async def test_an_alert_keeps_only_the_minute_of_the_report_that_raised_it(
    core: Core, smtp: SmtpServer, clock: FrozenClock
) -> None:
    from datetime import UTC, datetime

    await staff_with_email(core, "fp1", "focal_point")
    clock.set(datetime(2026, 3, 2, 9, 17, 23, 456000, tzinfo=UTC))
    await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    await mail_worker(core, smtp).run_once()
    [row] = await alert_rows(core)
    minute = datetime(2026, 3, 2, 9, 17, tzinfo=UTC)
    assert (row.created_at, row.next_attempt_at, row.sent_at) == (minute, minute, minute)


async def test_two_workers_scanning_at_once_raise_an_overdue_alert_once(
    core: Core, smtp: SmtpServer, clock: FrozenClock
) -> None:
    for n in range(3):
        await staff_with_email(core, f"op{n}", "operator", events=frozenset({AlertEvent.OVERDUE}))
    standard = await submit(core)
    clock.advance(timedelta(days=3, hours=1))
    one, two = mail_worker(core, smtp), mail_worker(core, smtp)
    await asyncio.gather(one.run_once(), two.run_once())
    await asyncio.gather(one.run_once(), two.run_once())
    overdue = sorted(m["To"] for m in smtp.mailbox.messages if standard.ref in m.get_content())
    assert overdue == ["op0@example.org", "op1@example.org", "op2@example.org"]


async def test_a_case_moved_into_the_sealed_channel_alerts_focal_points_but_not_one_kept_away(
    core: Core, smtp: SmtpServer, clock: FrozenClock
) -> None:
    """Moved there by an operator, a case reaches every focal point like one filed so; a
    focal point excluded from it before the alert went out never gets it (nor any later)."""
    fp1 = await staff_with_email(core, "fp1", "focal_point")
    fp2 = await staff_with_email(core, "fp2", "focal_point")
    oper = await staff_with_email(core, "oper", "operator")
    made = await submit(core, category="staff_conduct", narrative=NARRATIVE)
    assert await mail_worker(core, smtp).run_once() == 0  # a standard report: nobody

    async with core.database.transaction() as session:
        case = await TriageService(session, core).get_visible(made.ref, oper)
        await Reclassification(session, core).move(
            made.ref, oper, expected_version=case.version, category="sexual_exploitation"
        )
    assert sorted(r.user_id for r in await alert_rows(core)) == sorted([fp1.user_id, fp2.user_id])
    async with core.database.transaction() as session:
        await Exclusions(session, core).keep_away(made.ref, fp1, fp2.user_id or 0)

    assert await mail_worker(core, smtp).run_once() == 1
    assert [m["To"] for m in smtp.mailbox.messages] == ["fp1@example.org"]
    assert made.ref not in smtp.mailbox.messages[0].get_content()
    withheld = [r for r in await alert_rows(core) if r.user_id == fp2.user_id]
    assert [r.state for r in withheld] == [OutboxState.UNDELIVERABLE]

    # Nor anything raised afterwards: past its acknowledgement time, only fp1 hears of it.
    clock.advance(timedelta(days=2))
    await mail_worker(core, smtp).run_once()
    assert {m["To"] for m in smtp.mailbox.messages} <= {"fp1@example.org", *ESCALATION}


async def test_a_case_moved_into_the_sealed_channel_days_after_filing_is_still_escalated(
    core: Core, smtp: SmtpServer, clock: FrozenClock
) -> None:
    """The escalation counts from when the case entered the sealed channel: a report that
    sat misfiled for days is the one that most needs a focal point soon."""
    await staff_with_email(core, "fp1", "focal_point")
    oper = await staff_with_email(core, "oper", "operator")
    made = await submit(core, category="staff_conduct", narrative=NARRATIVE)
    clock.advance(timedelta(days=4))
    async with core.database.transaction() as session:
        case = await TriageService(session, core).get_visible(made.ref, oper)
        await Reclassification(session, core).move(
            made.ref, oper, expected_version=case.version, category="sexual_exploitation"
        )
    worker = mail_worker(core, smtp)
    await worker.run_once()
    assert [m["To"] for m in smtp.mailbox.messages] == ["fp1@example.org"]  # the arrival
    clock.advance(timedelta(hours=11))
    await worker.run_once()
    assert not [m for m in smtp.mailbox.messages if m["To"] != "fp1@example.org"]
    clock.advance(timedelta(hours=1, minutes=1))
    await worker.run_once()
    escalated = [m for m in smtp.mailbox.messages if m["To"] in ESCALATION]
    assert sorted(m["To"] for m in escalated) == sorted(ESCALATION)
    assert all(made.ref not in m.get_content() for m in escalated)
