"""A session's progress (R15): every reviewer expected, per institution and source, with what
they have submitted and drafted; the same verdict as the conclusion's own check."""

from __future__ import annotations

from typing import Any

from tests.conftest import SCHOOLS, World
from tests.flows import INDICATORS, open_session, scores_for, submit
from tests.test_conclusion import EVERYWHERE_76, concludes, scored_session

REVIEWER = (
    "reviewerInstitution { code } reviewerExpert { name } submitted drafted required complete"
)
PROGRESS = f"""
query($id: ID!) {{
  reviewSession(id: $id) {{
    missingEvaluations
    progress {{
      status canConclude missing submitted drafted required
      institutions {{
        institution {{ code }} complete submitted drafted required
        sources {{
          source reviewersNeeded reviewersComplete complete submitted drafted required
          reviewers {{ {REVIEWER} }}
        }}
      }}
    }}
  }}
}}"""
N = len(INDICATORS)


def progress(world: World, session_id: str) -> dict[str, Any]:
    found: dict[str, Any] = world.api("admin")(PROGRESS, {"id": session_id})["reviewSession"]
    return found


def reviewers(found: dict[str, Any], school: str, source: str) -> dict[str, dict[str, Any]]:
    """The reviewers of ``school`` from ``source``, by school code or expert name."""
    subject = next(
        i for i in found["progress"]["institutions"] if i["institution"]["code"] == SCHOOLS[school]
    )
    part = next(s for s in subject["sources"] if s["source"] == source)
    return {
        (r["reviewerInstitution"] or {}).get("code") or r["reviewerExpert"]["name"]: r
        for r in part["reviewers"]
    }


def test_every_expected_reviewer_is_listed_with_what_they_submitted_and_drafted(
    world: World,
) -> None:
    """R9–R11: the school itself, every other school, every panel expert but the one
    affiliated with the school scored; drafts are counted apart and do not count."""
    session_id = open_session(world, [SCHOOLS[s] for s in ("pku", "thu", "ruc")])
    assert (
        submit(world.api("thu"), session_id, "thu", "SELF", scores_for("SELF", 80))["userErrors"]
        == []
    )
    draft = scores_for("PEER", 70)[:3]
    assert (
        submit(world.api("ruc"), session_id, "thu", "PEER", draft, final=False)["userErrors"] == []
    )
    assert (
        submit(world.api("expert1"), session_id, "pku", "EXPERT", scores_for("EXPERT", 75))[
            "userErrors"
        ]
        == []
    )

    found = progress(world, session_id)
    view = found["progress"]
    assert [i["institution"]["code"] for i in view["institutions"]] == [
        SCHOOLS[s] for s in ("pku", "thu", "ruc")
    ]
    assert all(
        [s["source"] for s in i["sources"]] == ["SELF", "PEER", "EXPERT"]
        for i in view["institutions"]
    )
    assert reviewers(found, "thu", "SELF") == {
        SCHOOLS["thu"]: {
            "reviewerInstitution": {"code": SCHOOLS["thu"]},
            "reviewerExpert": None,
            "submitted": N,
            "drafted": 0,
            "required": N,
            "complete": True,
        }
    }
    peers = reviewers(found, "thu", "PEER")
    assert set(peers) == {SCHOOLS["pku"], SCHOOLS["ruc"]}
    assert (peers[SCHOOLS["ruc"]]["submitted"], peers[SCHOOLS["ruc"]]["drafted"]) == (0, 3)
    assert set(reviewers(found, "pku", "EXPERT")) == {f"expert{i}" for i in range(1, 7)}
    assert "expert_pku" in reviewers(found, "thu", "EXPERT")
    assert reviewers(found, "pku", "EXPERT")["expert1"]["complete"] is True

    pku = view["institutions"][0]
    experts = next(s for s in pku["sources"] if s["source"] == "EXPERT")
    assert (experts["reviewersNeeded"], experts["reviewersComplete"], experts["complete"]) == (
        5,
        1,
        False,
    )
    expected = 3 * N * (1 + 2) + N * (6 + 7 + 7)  # self and peers of 3 schools; experts
    assert (view["submitted"], view["drafted"], view["required"]) == (2 * N, 3, expected)
    assert view["status"] == "OPEN"
    assert view["canConclude"] is False
    assert view["missing"] == found["missingEvaluations"]


def test_a_complete_session_can_conclude_and_then_says_so(world: World) -> None:
    """R15: the view says the session may conclude exactly when the conclusion accepts it."""
    session_id = scored_session(world, {"expert1": EVERYWHERE_76, "expert2": EVERYWHERE_76})
    view = progress(world, session_id)["progress"]
    assert (view["canConclude"], view["missing"], view["status"]) == (True, [], "OPEN")
    assert all(i["complete"] for i in view["institutions"])
    concludes(world, session_id)
    view = progress(world, session_id)["progress"]
    assert (view["canConclude"], view["missing"], view["status"]) == (False, [], "CONCLUDED")
