"""Reply templates and bulk changes to cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from admin_api.schemas.cases import REF_PATTERN
from admin_api.schemas.common import MAX_ID, RequestModel, Storable, ViewModel
from storage.enums import Language, Priority
from storage.services.bulk import MAX_BULK, BulkAction, Outcome
from storage.services.reply_templates import MAX_NAME_CHARS, MAX_TEMPLATE_CHARS

TemplateName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_CHARS), Storable]
TemplateText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TEMPLATE_CHARS), Storable
]


class TemplateOut(ViewModel):
    id: str = Field(validation_alias="public_id")
    name: str
    language: Language
    text: str = Field(validation_alias="body")
    updated_at: datetime


class TemplateList(ViewModel):
    items: list[TemplateOut]


class TemplateIn(RequestModel):
    """``{date}`` and ``{topic}`` in the text become the report's date and its topic in
    the reporter's language when staff insert it into a reply."""

    name: TemplateName
    language: Language
    text: TemplateText


class TemplatePatch(RequestModel):
    name: TemplateName | None = None
    text: TemplateText | None = None


class SelectedCase(RequestModel):
    ref: Annotated[str, StringConstraints(pattern=REF_PATTERN)]
    version: Annotated[int, Field(ge=1, le=MAX_ID)]


class BulkIn(RequestModel):
    """One change to many cases, each at the version you saw."""

    cases: Annotated[list[SelectedCase], Field(min_length=1, max_length=MAX_BULK)]
    action: BulkAction
    assignee_id: Annotated[int | None, Field(ge=1, le=MAX_ID)] = Field(
        default=None, description="For `assign`: whom; null unassigns."
    )
    priority: Priority | None = Field(default=None, description="For `priority`.")
    tag: Annotated[str | None, StringConstraints(min_length=1, max_length=40)] = Field(
        default=None, description="For `tag`: the tag to add."
    )

    @model_validator(mode="after")
    def _needs(self) -> BulkIn:
        if self.action is BulkAction.PRIORITY and self.priority is None:
            raise ValueError("`priority` needs a priority")
        if self.action is BulkAction.TAG and self.tag is None:
            raise ValueError("`tag` needs a tag")
        return self


class BulkItemOut(ViewModel):
    ref: str
    outcome: Outcome = Field(
        description="changed; unchanged (it already was so); stale (changed by someone "
        "else since you read it: nothing saved); refused (see `code`)"
    )
    version: int | None = None
    code: str | None = None


class BulkOut(ViewModel):
    items: list[BulkItemOut]
