"""Free text first: many people open the bot and simply write (or record) what happened.

Whatever they send at the menu, or as their very first message, starts a report with
that content already in its description, and the bot asks what it is about. Content
sent where a report expects a button is added to the description too. Nothing typed
is dropped unless the person chooses to discard it.
"""

from __future__ import annotations

from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from handlers import collect, flow
from handlers.context import Outcomes
from handlers.routes import Routes
from handlers.states import Report
from storage.core import Core
from storage.services.throttle import ReporterQuota

router = Routes("freetext")

# Report steps answered with buttons, where a message is still part of the story.
KEEPING_STEPS = (
    Report.category,
    Report.intro,
    Report.programme,
    Report.oblast,
    Report.contact,
    Report.summary,
    Report.edit,
)


@router.message(StateFilter(None), collect.ACCEPTED)
async def on_story_first(
    message: Message, state: FSMContext, core: Core, quota: ReporterQuota, outcomes: Outcomes
) -> None:
    await flow.start_flow(message, state, "report", Report.category, from_text=True)
    if not await collect.add(message, state, core, quota=quota, outcomes=outcomes):
        # Refused (a file too big, say, with no caption), and said why: nothing to keep.
        await flow.end_flow(state)
        await flow.show_menu(message, state, core)
        return
    await collect.answer(message, state, core, added=True)


@router.message(StateFilter(*KEEPING_STEPS), collect.ACCEPTED)
async def on_story_at_a_button_step(
    message: Message, state: FSMContext, core: Core, quota: ReporterQuota, outcomes: Outcomes
) -> None:
    added = await collect.add(message, state, core, quota=quota, outcomes=outcomes)
    current = await state.get_state()
    if current in (Report.summary.state, Report.edit.state):
        # The summary shows the description: show it again with what was added.
        await state.set_state(Report.summary)
    await collect.answer(message, state, core, added=added, ack=True)
