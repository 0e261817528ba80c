"""The commission's rotation through GraphQL: plan, explain, compare, adopt, re-plan
around a started session, pins and blackouts, panels, and the schedule queries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import click
from graphql import GraphQLInputObjectType
from sqlalchemy import select
from sqlalchemy.orm import Session

from sanquan.api.ids import parse_id
from sanquan.api.schema import build_schema
from sanquan.auth.models import Role
from sanquan.auth.tokens import create_account
from sanquan.cli import root
from sanquan.config import Settings
from sanquan.findings.models import Finding, FindingKind, ItemStatus
from sanquan.institutions.models import Institution
from sanquan.quarter import Quarter
from sanquan.review.models import ReviewSession, SessionStatus
from sanquan.rotation.model import DEFAULTS, Policy
from tests.commands import in_process
from tests.conftest import SCHOOLS, World
from tests.test_review_flow import run_full_session

USER_ERRORS = "userErrors { field code message }"
PLAN = f"""
mutation($input: PlanRotationInput!) {{
  planRotation(input: $input) {{
    plan {{ id status cycleStart cycleEnd sessionsPerQuarter
           quarters {{ quarter sessions {{ index fixed institutions {{ code }} panel {{ id }} }} }}
           changes {{ institution {{ code }} before after }} }}
    conflicts {{ kind description institutionCode quarter }}
    {USER_ERRORS}
  }}
}}"""
ADOPT = f"""
mutation($id: ID!) {{
  adoptRotationPlan(input: {{planId: $id}}) {{
    plan {{ status }} createdSessions {{ id quarter institutions {{ code }} panel {{ id }} }}
    {USER_ERRORS}
  }}
}}"""
CONSTRAIN = f"""
mutation($input: SetRotationConstraintInput!) {{
  setRotationConstraint(input: $input) {{ constraint {{ kind quarter }} {USER_ERRORS} }}
}}"""
CYCLE = """
query($start: Quarter!) {
  rotation(start: $start) {
    start end unscheduled { code }
    quarters { quarter sessions { id status institutions { code } } }
  }
}"""


def plan(world: World, **options: Any) -> dict[str, Any]:
    variables = {"input": {"start": "2027Q1", "sessionsPerQuarter": 2, "panelSize": 0, **options}}
    payload: dict[str, Any] = world.api("admin", "en")(PLAN, variables)["planRotation"]
    return payload


def placed(payload: dict[str, Any]) -> dict[str, str]:
    return {
        i["code"]: q["quarter"]
        for q in payload["plan"]["quarters"]
        for s in q["sessions"]
        for i in s["institutions"]
    }


def test_one_session_a_quarter_cannot_hold_92_schools(world: World) -> None:
    payload = plan(world, sessionsPerQuarter=1)
    assert payload["plan"] is None
    [error] = payload["userErrors"]
    assert error["code"] == "ROTATION_INFEASIBLE"
    assert error["message"].startswith(
        "92 institutions need at least 19 sessions of 5 but a cycle holds 12; use k = 2"
    )
    assert [c["kind"] for c in payload["conflicts"]] == ["POOL"]


def test_plan_compare_adopt(world: World) -> None:
    payload = plan(world)
    draft = payload["plan"]
    assert draft["status"] == "DRAFT"
    assert (draft["cycleStart"], draft["cycleEnd"]) == ("2027Q1", "2029Q4")
    assert [len(q["sessions"]) for q in draft["quarters"]] == [2] * 12
    assert len(placed(payload)) == 92
    assert len(draft["changes"]) == 92
    assert {c["before"] for c in draft["changes"]} == {None}

    adopted = world.api("admin")(ADOPT, {"id": draft["id"]})["adoptRotationPlan"]
    assert adopted["userErrors"] == []
    assert adopted["plan"]["status"] == "ADOPTED"
    assert len(adopted["createdSessions"]) == 24
    cycle = world.api("viewer")(CYCLE, {"start": "2027Q1"})["rotation"]
    assert cycle["unscheduled"] == []
    assert sum(len(q["sessions"]) for q in cycle["quarters"]) == 24
    again = world.api("admin")(ADOPT, {"id": draft["id"]})["adoptRotationPlan"]
    assert [e["code"] for e in again["userErrors"]] == ["PLAN_NOT_DRAFT"]


def test_replanning_keeps_a_started_session(world: World, db: Session) -> None:
    first = plan(world)["plan"]
    world.api("admin")(ADOPT, {"id": first["id"]})
    cycle = world.api("viewer")(CYCLE, {"start": "2027Q1"})["rotation"]
    started = cycle["quarters"][0]["sessions"][0]
    session = db.get(ReviewSession, parse_id(started["id"], "ReviewSession"))
    assert session is not None
    session.status = SessionStatus.OPEN
    db.commit()

    second = plan(world)
    assert second["plan"]["changes"] == []  # nothing needs to move
    kept = second["plan"]["quarters"][0]["sessions"]
    assert [s["fixed"] for s in kept] == [True, False]
    adopted = world.api("admin")(ADOPT, {"id": second["plan"]["id"]})["adoptRotationPlan"]
    assert len(adopted["createdSessions"]) == 23
    cycle = world.api("viewer")(CYCLE, {"start": "2027Q1"})["rotation"]
    assert cycle["quarters"][0]["sessions"][0] == started | {"status": "OPEN"}


def test_a_plan_goes_stale_when_a_session_starts(world: World, db: Session) -> None:
    first = plan(world)["plan"]
    world.api("admin")(ADOPT, {"id": first["id"]})
    draft = plan(world)["plan"]
    session = db.query(ReviewSession).order_by(ReviewSession.id).first()
    assert session is not None
    session.status = SessionStatus.OPEN
    db.commit()
    stale = world.api("admin")(ADOPT, {"id": draft["id"]})["adoptRotationPlan"]
    assert [e["code"] for e in stale["userErrors"]] == ["PLAN_STALE"]


def test_pins_and_blackouts_shape_the_next_plan(world: World) -> None:
    admin = world.api("admin")
    thu, ruc = SCHOOLS["thu"], SCHOOLS["ruc"]
    admin(CONSTRAIN, {"input": {"institutionCode": thu, "quarter": "2028Q3", "kind": "PIN"}})
    admin(CONSTRAIN, {"input": {"institutionCode": ruc, "quarter": "2027Q1", "kind": "BLACKOUT"}})
    payload = plan(world, priorities=[ruc])
    quarters = placed(payload)
    assert quarters[thu] == "2028Q3"
    assert quarters[ruc] == "2027Q2"  # as early as possible, but not in its blackout


def test_contradictory_rules_are_explained(world: World) -> None:
    admin = world.api("admin")
    thu = SCHOOLS["thu"]
    for kind in ("PIN", "BLACKOUT"):
        admin(CONSTRAIN, {"input": {"institutionCode": thu, "quarter": "2027Q2", "kind": kind}})
    payload = plan(world)
    assert [(c["kind"], c["institutionCode"], c["quarter"]) for c in payload["conflicts"]] == [
        ("PIN", thu, "2027Q2"),
        ("BLACKOUT", thu, "2027Q2"),
    ]
    assert payload["userErrors"][0]["message"] == (
        "these rules cannot all hold: pin 清华大学 to 2027Q2; 清华大学 not in 2027Q2. "
        "Drop or change one of them (e.g. pin 清华大学 to 2027Q2)"
    )


def test_bad_options_name_the_field(world: World) -> None:
    payload = plan(world, minSessionSize=6, priorities=["4111099999"])
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_VALUE", ["sessionSize"])
    ]
    payload = plan(world, priorities=["4111099999"])
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("UNKNOWN_INSTITUTION", ["priorities", "0"])
    ]


def test_panels_are_planned_and_appointed(world: World, db: Session) -> None:
    for n in range(25):
        create_account(db, name=f"专家{n}", role=Role.EXPERT)
    db.commit()
    payload = plan(world, panelSize=5)
    assert payload["userErrors"] == []
    sessions = [s for q in payload["plan"]["quarters"] for s in q["sessions"]]
    assert {len(s["panel"]) for s in sessions} == {5}
    adopted = world.api("admin")(ADOPT, {"id": payload["plan"]["id"]})["adoptRotationPlan"]
    assert {len(s["panel"]) for s in adopted["createdSessions"]} == {5}
    expert = adopted["createdSessions"][0]["panel"][0]["id"]
    mine = world.api("admin")(
        "query($id: ID!) { expertSessions(expertId: $id) { quarter } }", {"id": expert}
    )["expertSessions"]
    years = [s["quarter"][:4] for s in mine]
    assert all(years.count(y) <= 2 for y in years)


def test_too_few_experts_for_the_panels(world: World) -> None:
    payload = plan(world, panelSize=5)
    assert payload["plan"] is None
    assert payload["userErrors"][0]["code"] == "ROTATION_INFEASIBLE"
    assert {c["kind"] for c in payload["conflicts"]} == {"PANEL"}
    assert "7 experts" in payload["userErrors"][0]["message"]


def test_only_the_commission_plans(world: World) -> None:
    for who in ("viewer", "thu", "expert1", "unit"):
        body = world.api(who).raw(PLAN, {"input": {"start": "2027Q1"}})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # but everyone reads the schedule
    assert world.api("thu")(CYCLE, {"start": "2027Q1"})["rotation"]["end"] == "2029Q4"


def test_overdue_institutions(world: World) -> None:
    data = world.api("viewer")(
        '{ overdueInstitutions(asOf: "2027Q1") { institution { code } lastReview dueBy } }'
    )
    # nobody has been reviewed or scheduled yet
    assert len(data["overdueInstitutions"]) == 92


def test_schedule_plan_command(world: World, settings: Settings) -> None:
    env = {**os.environ, "SANQUAN_DATABASE_URL": settings.database_url, "COLUMNS": "200"}
    command = [sys.executable, "-m", "sanquan", "schedule", "plan", "--start", "2027Q1"]
    table = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    assert "2029Q4" in table
    assert "清华大学" in table
    refused = in_process([*command[3:], "--sessions-per-quarter", "1"], env)  # what it says: here
    assert refused.returncode == 2
    assert "92 所高校至少需要 19 次 5 所规模的点评会" in refused.stderr
    assert refused.stdout == ""


def test_planning_with_every_default_holds_the_shipped_pool_in_the_api_and_the_cli(
    world: World, settings: Settings
) -> None:
    """Nothing but the start: two sessions a quarter for the 92 institutions, no panels to
    fill from the seven experts, and the same plan from both edges."""
    payload = world.api("admin")(PLAN, {"input": {"start": "2027Q1"}})["planRotation"]
    assert payload["userErrors"] == []
    assert payload["plan"]["sessionsPerQuarter"] == 2
    from_api = [
        {
            "quarter": q["quarter"],
            "index": s["index"],
            "institutions": sorted(i["code"] for i in s["institutions"]),
            "panel": [p["id"] for p in s["panel"]],
        }
        for q in payload["plan"]["quarters"]
        for s in q["sessions"]
    ]
    assert len(from_api) == 24
    assert sum(len(s["institutions"]) for s in from_api) == 92
    assert all(s["panel"] == [] for s in from_api)
    env = {**os.environ, "SANQUAN_DATABASE_URL": settings.database_url}
    # In this process: test_schedule_plan_command runs the command as a process.
    done = in_process(["schedule", "plan", "--start", "2027Q1", "--json"], env)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert (printed["start"], printed["sessionsPerQuarter"]) == ("2027Q1", 2)
    assert [
        {
            **s,
            "institutions": sorted(i["code"] for i in s["institutions"]),
            "panel": [p["id"] for p in s["panel"]],
        }
        for s in printed["sessions"]
    ] == from_api


def test_the_api_and_the_cli_offer_the_same_planning_defaults() -> None:
    """Every default either edge offers is the one of :data:`DEFAULTS`."""
    api_input = build_schema()._schema.get_type("PlanRotationInput")
    assert isinstance(api_input, GraphQLInputObjectType)
    api = {name: f.default_value for name, f in api_input.fields.items() if name != "start"}
    assert api == {
        "sessionsPerQuarter": DEFAULTS.sessions_per_quarter,
        "minSessionSize": DEFAULTS.session_size[0],
        "maxSessionSize": DEFAULTS.session_size[1],
        "minGap": DEFAULTS.gap[0],
        "maxGap": DEFAULTS.gap[1],
        "policy": DEFAULTS.policy,
        "maxSameCategory": DEFAULTS.max_same_category,
        "priorities": list(DEFAULTS.priorities),
        "indicatorSet": {"key": DEFAULTS.indicator_set_key},
        "panelSize": DEFAULTS.panel_size,
        "maxSessionsPerYear": DEFAULTS.max_sessions_per_year,
    }
    schedule = root.commands["schedule"]
    assert isinstance(schedule, click.Group)
    cli = {p.name: p.default for p in schedule.commands["plan"].params}
    assert cli["sessions_per_quarter"] == api["sessionsPerQuarter"]
    assert cli["panel_size"] == api["panelSize"]
    assert Policy(str(cli["policy"]).upper()) == api["policy"]


def test_overdue_rectification_items_come_first(world: World, db: Session) -> None:
    session_id = run_full_session(world)
    pku = db.scalar(select(Institution).where(Institution.code == SCHOOLS["pku"]))
    assert pku is not None
    db.add(
        Finding(
            session_id=parse_id(session_id, "ReviewSession"),
            institution_id=pku.id,
            kind=FindingKind.RECTIFICATION,
            title="整改逾期",
            owner="学工部",
            due_quarter="2026Q1",
            status=ItemStatus.OPEN,
            raised_by_id=world.account_ids["admin"],
        )
    )
    db.commit()
    quarters = placed(plan(world, start="2027Q2"))
    assert quarters[SCHOOLS["pku"]] == "2027Q2"


def test_an_institutions_last_and_next_review(world: World) -> None:
    concluded = run_full_session(world)
    draft = plan(world, start="2027Q2")["plan"]
    world.api("admin")(ADOPT, {"id": draft["id"]})
    data = world.api("thu")(
        "query($code: String!) { institutionReviews(code: $code) { lastReview { id quarter } "
        "nextReview { quarter status } sessions { quarter } } }",
        {"code": SCHOOLS["thu"]},
    )["institutionReviews"]
    assert data["lastReview"] == {"id": concluded, "quarter": "2027Q1"}
    # reviewed in 2027Q1: the gap of 8–16 quarters puts the next one in 2029Q1 or later
    assert data["nextReview"]["status"] == "DRAFT"
    assert data["nextReview"]["quarter"] >= "2029Q1"
    assert len(data["sessions"]) == 2


def test_an_overlapping_cycle_keeps_the_gap_from_sessions_scheduled_before_it(
    world: World,
) -> None:
    """A cycle adopted from 2027Q1 schedules schools in 2027Q1 and 2027Q2; a plan for the
    cycle from 2027Q3 must count those sessions as their last review (R4: 8–16 quarters
    apart), not review the same schools again a quarter or two later."""
    first = plan(world)
    adopted = world.api("admin")(ADOPT, {"id": first["plan"]["id"]})["adoptRotationPlan"]
    assert adopted["userErrors"] == []
    before = {code: q for code, q in placed(first).items() if q < "2027Q3"}
    assert len(before) >= 10

    second = plan(world, start="2027Q3")
    assert second["userErrors"] == []
    later = placed(second)
    for code, quarter in before.items():
        if code in later:
            gap = Quarter.parse(later[code]).index - Quarter.parse(quarter).index
            assert gap >= 8, (code, quarter, later[code])
