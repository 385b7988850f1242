"""Issue 22 §1: a case reference typed into search finds that case, in any spelling a
person may type it; a sealed case's reference tells an operator nothing (the answer is
the one for a reference that does not exist); a query with no word in it is refused."""

from __future__ import annotations

import pytest

from storage.enums import Language
from tests.admin_api.helpers import Api
from tests.storage.helpers import submit

CASES = "/api/v1/cases"


def spellings(ref: str) -> list[str]:
    """``HL-7K2M-9QXD-R`` as people type it: lower case, without hyphens, with spaces,
    O for 0 and L for 1 (storage.refs reads them all)."""
    bare = ref.replace("-", "")
    return [
        ref,
        ref.lower(),
        bare,
        f"  {ref[:2]} {ref[3:7]} {ref[8:12]} {ref[13:]} ",
        ref.replace("0", "O").replace("1", "l"),
    ]


async def test_a_reference_in_any_spelling_finds_its_case_whatever_the_filters(
    staffed: Api,
) -> None:
    api = staffed
    made = await submit(api.core, narrative="Черга у Харкові")
    await submit(api.core, narrative="Інша скарга")
    for typed in spellings(made.ref):
        page = await api.call(
            "GET", CASES, "operator", params={"q": typed, "status": "closed", "language": "en"}
        )
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["match"] == "reference", typed
        assert [i["ref"] for i in body["items"]] == [made.ref], typed
        assert body["total"] == 1
    words = await api.call("GET", CASES, "operator", params={"q": "Харків"})
    assert words.json()["match"] == "text" and words.json()["total"] == 1
    plain = await api.call("GET", CASES, "operator")
    assert plain.json()["match"] is None


async def test_a_sealed_cases_reference_gives_an_operator_no_hint(staffed: Api) -> None:
    api = staffed
    sealed = await submit(
        api.core, category="fraud_corruption", narrative="Хабар", language=Language.UK
    )
    # A well-formed reference (its check character right) that no case has.
    missing = "HL-0000-0000-0"
    seen = await api.call("GET", CASES, "operator", params={"q": sealed.ref})
    absent = await api.call("GET", CASES, "operator", params={"q": missing})
    assert seen.status_code == absent.status_code == 200
    assert (
        seen.json()
        == absent.json()
        == {
            "items": [],
            "next_cursor": None,
            "total": 0,
            "total_capped": False,
            "match": "reference",
        }
    )
    focal = await api.call("GET", CASES, "focal_point", params={"q": sealed.ref.lower()})
    assert [i["ref"] for i in focal.json()["items"]] == [sealed.ref]


@pytest.mark.parametrize("query", ["!!!", " - ", "* ?", '"";', "__"])
async def test_a_query_without_words_is_refused_plainly(staffed: Api, query: str) -> None:
    answer = await staffed.call("GET", CASES, "operator", params={"q": query})
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "no_search_words"
    assert "word" in answer.json()["detail"]
