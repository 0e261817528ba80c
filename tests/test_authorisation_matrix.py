"""Authorisation by role and relation (R14, R21, R22), as one table checked against the schema.

Every mutation, every query field and every object field that reads the request's context
(the only way a field can depend on who asks) has a row: a document with variables that fit
a prepared world, and what each caller gets. The callers are each role, and for the roles
with a relation both sides of it. The outcomes are written from the SPEC, the README and the
schema's descriptions; a field without a row, or a row without a field, fails the suite.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types.base import StrawberryObjectDefinition

from sanquan.api.schema import build_schema
from sanquan.auth.models import Role
from sanquan.auth.tokens import create_account, issue_token
from sanquan.config import Settings
from sanquan.db import Base, make_engine, make_session_factory
from sanquan.plugins.host import PluginHost
from sanquan.review.visibility import BLIND_ID_PREFIX
from sanquan.timeutil import current_quarter
from tests.conftest import (
    ENGINES,
    SCHOOLS,
    World,
    migrated_database,
    populated_world,
    settings_for,
)
from tests.flows import APPOINT, CONCLUDE, SET, create_session, open_session, scores_for, submit

SCHEMA = build_schema(Settings(database_url="sqlite://", introspection=True))

CALLERS = {
    "admin": "admin",
    "school": "thu",  # represents a school of the sessions below
    "other_school": "bnu",  # represents a school in no session
    "expert": "expert1",  # sits on the panels and gave the expert scores
    "fellow_expert": "expert2",  # sits on the same panels, gave none of the scores probed
    "other_expert": "expert6",  # sits on no panel
    "unit": "unit",  # 市教委, a unit of the task reported on
    "other_unit": "other_unit",  # a municipal unit that is not
    "viewer": "viewer",
}
"""Who asks: each role, and both sides of each relation; the values are the world's tokens."""

PLAN_KEY = "jingjiaozufa-2019-3"
KEPT = "4111099901"  # an inactive institution the commission edits
GONE = "4111099902"  # an inactive institution the commission deletes
ADDED = "4111099903"
KEPT_DATA = {"name": "矩阵测试学院", "authority": "北京市教委", "level": "本科", "category": "理工"}
KEPT_CSV = f"code,{','.join(KEPT_DATA)}\n{KEPT},{','.join(KEPT_DATA.values())}\n"
SESSION_SCHOOLS = ["thu", "ruc", "ustb"]
DRAFT_SCHOOLS = [SCHOOLS[s] for s in ("pku", "buaa", "ruc")]


@dataclass(frozen=True)
class Outcome:
    """What one caller gets: ``allowed``, ``FORBIDDEN``, ``hidden`` (the field is null,
    as the schema documents) or ``refused <CODE>`` (a domain rule's user error)."""

    text: str

    def __str__(self) -> str:
        return self.text


OK = Outcome("allowed")
FORBIDDEN = Outcome("FORBIDDEN")
HIDDEN = Outcome("hidden")
BLIND = Outcome("blind")
"""The field answers with an opaque ``blind-…`` id that ties the score to no expert."""


def refused(code: str) -> Outcome:
    return Outcome(f"refused {code}")


def grant(*allowed: str, **others: Outcome) -> dict[str, Outcome]:
    """``allowed`` get through, ``others`` get what is given, everyone else FORBIDDEN."""
    unknown = (set(allowed) | set(others)) - set(CALLERS)
    assert not unknown, f"no such caller: {unknown}"
    return {who: OK if who in allowed else others.get(who, FORBIDDEN) for who in CALLERS}


EVERYONE = grant(*CALLERS)
ADMIN = grant("admin")
NOT_A_REVIEWER = refused("NOT_A_REVIEWER")


@dataclass
class Prepared:
    """The world the rows run against, built once per engine: a concluded session and an
    open one of thu, ruc and ustb with expert1 and expert2 as panel (expert1 scored, and
    expert2 left a draft in the concluded one), two draft sessions, a draft rotation plan,
    an open and a done rectification item of thu, and inactive institutions to edit."""

    world: World
    db: Session
    ids: dict[str, str]
    panel: list[str]

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


Variables = Callable[[Prepared], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    field: str
    """``Type.field`` as the schema names it."""
    case: str
    document: str
    variables: Variables
    path: str
    """Where in ``data`` the outcome shows, dotted; lists are looked through."""
    expect: Mapping[str, Outcome]

    @property
    def id(self) -> str:
        return f"{self.field}[{self.case}]" if self.case else self.field

    @property
    def is_mutation(self) -> bool:
        return self.field.startswith("Mutation.")


def _input_types() -> dict[str, str]:
    """Each mutation's input type, from the schema."""
    types = SCHEMA.introspect()["__schema"]["types"]
    mutation = next(t for t in types if t["name"] == "Mutation")
    return {
        field["name"]: argument["type"]["ofType"]["name"]
        for field in mutation["fields"]
        for argument in field["args"]
        if argument["name"] == "input"
    }


INPUT_TYPES = _input_types()


def mutation(name: str, given: Variables, expect: Mapping[str, Outcome], case: str = "") -> Row:
    document = (
        f"mutation($input: {INPUT_TYPES[name]}!) "
        f"{{ {name}(input: $input) {{ userErrors {{ code }} }} }}"
    )
    return Row(f"Mutation.{name}", case, document, lambda p: {"input": given(p)}, name, expect)


def query(
    field: str,
    document: str,
    expect: Mapping[str, Outcome],
    path: str = "",
    variables: Variables = lambda p: {},
    case: str = "",
) -> Row:
    """A row reading ``field``; ``path`` defaults to the root field of that name."""
    return Row(field, case, document, variables, path or field.split(".")[1], expect)


def export(kind: str, given: Variables, expect: Mapping[str, Outcome]) -> Row:
    return mutation(
        "createExportLink", lambda p: {"kind": kind, **given(p)}, expect, case=kind.lower()
    )


SESSION_FIELD = "query($id: ID!) {{ reviewSession(id: $id) {{ {} }} }}"
ON_OPEN: Variables = lambda p: {"id": p["open"]}  # noqa: E731
ON_CONCLUDED: Variables = lambda p: {"id": p["concluded"]}  # noqa: E731
THU_SCORES = 'scores(institutionCode: "' + SCHOOLS["thu"] + '", source: {}) {{ {} }}'
PLAN_FIELD = "query($id: ID!) {{ rotationPlan(id: $id) {{ {} }} }}"
ON_PLAN: Variables = lambda p: {"id": p["plan"]}  # noqa: E731


def score_field(selection: str, source: str, expect: Mapping[str, Outcome], case: str) -> Row:
    """A row reading a field of the concluded session's ``source`` scores about thu."""
    field = selection.split(maxsplit=1)[0]
    document = SESSION_FIELD.format(THU_SCORES.format(source, selection))
    path = f"reviewSession.scores.{field}"
    return query(f"Score.{field}", document, expect, path, ON_CONCLUDED, case)


def submission(source: str, expect: Mapping[str, Outcome]) -> Row:
    """A row submitting one draft ``source`` score about thu in the open session."""
    return mutation(
        "submitScores",
        lambda p: {
            "sessionId": p["open"],
            "institutionCode": SCHOOLS["thu"],
            "source": source,
            "scores": [{"indicator": "T01", "value": 80}],
            "final": False,
        },
        expect,
        case=source.lower(),
    )


ROWS = [
    # The institution pool: the commission keeps it; everyone reads it.
    mutation(
        "createInstitution",
        lambda p: {"code": ADDED, "name": "矩阵新增学院", "active": False},
        ADMIN,
    ),
    mutation(
        "updateInstitution", lambda p: {"code": KEPT, "pilotDepartments": ["马克思主义学院"]}, ADMIN
    ),
    mutation("deleteInstitution", lambda p: {"code": GONE}, ADMIN),
    mutation("importInstitutions", lambda p: {"csv": KEPT_CSV}, ADMIN),
    query("Query.institutions", "{ institutions(first: 3) { totalCount } }", EVERYONE),
    query("Query.institution", '{ institution(code: "4111010003") { name } }', EVERYONE),
    # Sessions: the commission sets them up; schedules are everyone's to read.
    mutation(
        "createReviewSession",
        lambda p: {"quarter": "2028Q1", "institutionCodes": DRAFT_SCHOOLS, "indicatorSet": SET},
        ADMIN,
    ),
    mutation("appointExperts", lambda p: {"sessionId": p["draft"], "expertIds": p.panel}, ADMIN),
    mutation("openReviewSession", lambda p: {"sessionId": p["unopened"]}, ADMIN),
    mutation(
        "concludeReviewSession",
        lambda p: {"sessionId": p["open"]},
        grant(admin=refused("INCOMPLETE")),
        case="incomplete",
    ),
    query("Query.reviewSession", SESSION_FIELD.format("status"), EVERYONE, variables=ON_OPEN),
    query("Query.reviewSessions", "{ reviewSessions { totalCount } }", EVERYONE),
    query(
        "Query.institutionReviews",
        '{ institutionReviews(code: "4111010003") { sessions { id } } }',
        EVERYONE,
    ),
    query(
        "ReviewSession.indicatorSet",
        SESSION_FIELD.format("indicatorSet { key }"),
        EVERYONE,
        "reviewSession.indicatorSet",
        ON_OPEN,
    ),
    # R22, R14: the panel and the scores by relation; what is missing is the commission's.
    query(
        "ReviewSession.panel",
        SESSION_FIELD.format("panel { name }"),
        grant("admin", "expert", "fellow_expert"),
        "reviewSession.panel",
        ON_OPEN,
    ),
    query(
        "ReviewSession.scores",
        SESSION_FIELD.format("scores { id }"),
        grant("admin", "school", "expert", "fellow_expert"),
        "reviewSession.scores",
        ON_OPEN,
    ),
    query(
        "ReviewSession.missingEvaluations",
        SESSION_FIELD.format("missingEvaluations"),
        ADMIN,
        "reviewSession.missingEvaluations",
        ON_OPEN,
    ),
    score_field(
        "id",
        "EXPERT",
        grant("admin", "expert", school=BLIND, fellow_expert=BLIND),
        "expert scores, concluded",
    ),
    score_field(
        "updatedAt",
        "EXPERT",
        grant("admin", "expert", school=HIDDEN, fellow_expert=HIDDEN),
        "expert scores, concluded",
    ),
    score_field(
        "reviewerExpert { name }",
        "EXPERT",
        grant("admin", "expert", school=HIDDEN, fellow_expert=HIDDEN),
        "expert scores about the school, concluded",
    ),
    score_field(
        "history { newValue }",
        "EXPERT",
        grant("admin", "expert", school=HIDDEN, fellow_expert=HIDDEN),
        "expert scores",
    ),
    score_field(
        "history { newValue }",
        "SELF",
        grant("admin", "school", expert=HIDDEN, fellow_expert=HIDDEN),
        "a self-evaluation",
    ),
    # Concluded results, their aggregation and diagnosis are everyone's (SPEC: Result).
    query(
        "ReviewSession.results",
        SESSION_FIELD.format("results { rank }"),
        EVERYONE,
        "reviewSession.results",
        ON_CONCLUDED,
    ),
    query(
        "ReviewSession.diagnostics",
        SESSION_FIELD.format("diagnostics { meanSelfGap }"),
        EVERYONE,
        "reviewSession.diagnostics",
        ON_CONCLUDED,
    ),
    # R9–R11: who scores is a relation; other roles may not submit at all.
    submission(
        "SELF",
        grant(
            "school",
            other_school=NOT_A_REVIEWER,
            expert=NOT_A_REVIEWER,
            fellow_expert=NOT_A_REVIEWER,
            other_expert=NOT_A_REVIEWER,
        ),
    ),
    submission(
        "EXPERT",
        grant(
            "expert",
            "fellow_expert",
            school=NOT_A_REVIEWER,
            other_school=NOT_A_REVIEWER,
            other_expert=NOT_A_REVIEWER,
        ),
    ),
    mutation(
        "correctScore",
        lambda p: {"scoreId": p["self_score"], "value": 81, "reason": "复核更正"},
        ADMIN,
    ),
    # The rotation: planned, adopted and constrained by the commission; schedules are public.
    mutation(
        "planRotation",
        lambda p: {"start": "2028Q1", "sessionsPerQuarter": 2, "panelSize": 0},
        ADMIN,
    ),
    mutation("adoptRotationPlan", lambda p: {"planId": p["plan"]}, ADMIN),
    mutation(
        "setRotationConstraint",
        lambda p: {"institutionCode": SCHOOLS["pku"], "quarter": "2029Q1", "kind": "BLACKOUT"},
        ADMIN,
    ),
    query("Query.rotationPlan", PLAN_FIELD.format("status"), ADMIN, variables=ON_PLAN),
    query(
        "RotationPlan.quarters",
        PLAN_FIELD.format("quarters { quarter }"),
        ADMIN,
        "rotationPlan.quarters",
        ON_PLAN,
    ),
    query(
        "RotationPlan.changes",
        PLAN_FIELD.format("changes { after }"),
        ADMIN,
        "rotationPlan.changes",
        ON_PLAN,
    ),
    query("Query.rotation", '{ rotation(start: "2027Q1") { end } }', EVERYONE),
    query("Query.overdueInstitutions", "{ overdueInstitutions { dueBy } }", EVERYONE),
    query(
        "Query.expertSessions",
        "query($id: ID!) { expertSessions(expertId: $id) { id } }",
        grant("admin", "expert"),
        variables=lambda p: {"id": p["expert"]},
    ),
    # R18: findings are raised and verified by the commission, reported on by their school.
    mutation(
        "raiseFinding",
        lambda p: {
            "sessionId": p["concluded"],
            "institutionCode": SCHOOLS["ruc"],
            "kind": "HIGHLIGHT",
            "title": "矩阵亮点",
        },
        ADMIN,
    ),
    mutation(
        "raiseFindingsFromDrafts",
        lambda p: {
            "sessionId": p["concluded"],
            "institutionCode": SCHOOLS["thu"],
            "items": [{"kind": "HIGHLIGHT", "indicator": "T20"}],
        },
        ADMIN,
    ),
    mutation(
        "reportRectificationProgress",
        lambda p: {"findingId": p["open_item"], "text": "已召开专题会", "status": "IN_PROGRESS"},
        grant("school", other_school=refused("UNKNOWN_FINDING")),
    ),
    mutation("verifyRectificationItem", lambda p: {"findingId": p["done_item"]}, ADMIN),
    query(
        "Query.rectificationItems",
        "{ rectificationItems { totalCount } }",
        grant("admin", "viewer", "school", "other_school"),
        case="all a caller may see",
    ),
    query(
        "Query.rectificationItems",
        '{ rectificationItems(institutionCode: "4111010003") { totalCount } }',
        grant("admin", "viewer", "school"),
        case="one school's",
    ),
    query(
        "Query.rectificationItems",
        "query($id: ID!) { rectificationItems(forSession: $id) { totalCount } }",
        grant("admin", "viewer", "school", "other_school", "expert", "fellow_expert"),
        variables=ON_OPEN,
        case="preparing a session",
    ),
    query(
        "Query.findings",
        "query($id: ID!) { findings(sessionId: $id) { id } }",
        grant("admin", "viewer", "school", "other_school", "expert", "fellow_expert"),
        variables=ON_CONCLUDED,
    ),
    query(
        "Query.findingDrafts",
        "query($id: ID!) { findingDrafts(sessionId: $id) { indicator } }",
        ADMIN,
        variables=ON_CONCLUDED,
    ),
    query(
        "FindingDraft.raisedFinding",
        "query($id: ID!) { findingDrafts(sessionId: $id) { raisedFinding { id } } }",
        ADMIN,
        "findingDrafts",
        ON_CONCLUDED,
    ),
    # R19–R21: the responsibility tables are read by all; a unit reports on its own tasks.
    mutation(
        "reportTaskProgress",
        lambda p: {
            "plan": PLAN_KEY,
            "taskNumber": int(p["task"]),
            "quarter": str(current_quarter()),
            "status": "ON_TRACK",
            "text": "按计划推进",
        },
        grant("unit", other_unit=refused("NOT_YOUR_TASK")),
    ),
    query("Query.plans", "{ plans { key } }", EVERYONE),
    query(
        "WorkPlan.tasksWithoutReport",
        '{ plans { tasksWithoutReport(quarter: "2026Q4") { number } } }',
        EVERYONE,
        "plans.tasksWithoutReport",
    ),
    query("Query.tasks", f'{{ tasks(plan: "{PLAN_KEY}") {{ number }} }}', EVERYONE),
    query(
        "Task.progress",
        f'{{ tasks(plan: "{PLAN_KEY}") {{ progress {{ text }} }} }}',
        EVERYONE,
        "tasks.progress",
    ),
    query("Query.responsibleUnits", '{ responsibleUnits(name: "市教委") { name } }', EVERYONE),
    query(
        "ResponsibleUnit.tasks",
        '{ responsibleUnits(name: "市教委") { tasks { number } } }',
        EVERYONE,
        "responsibleUnits.tasks",
    ),
    query("Query.indicatorSets", "{ indicatorSets { key } }", EVERYONE),
    # Exports: each reader gets what GraphQL would show them.
    export("PLAN_TABLE", lambda p: {"plan": PLAN_KEY}, EVERYONE),
    export("UNIT_TABLE", lambda p: {"unit": "市教委"}, EVERYONE),
    export(
        "SCORE_SHEET",
        lambda p: {"sessionId": p["open"]},
        grant("admin", "school", "expert", "fellow_expert"),
    ),
    export("SESSION_RESULTS", lambda p: {"sessionId": p["concluded"]}, EVERYONE),
    export(
        "RECTIFICATION_LIST",
        lambda p: {"institutionCode": SCHOOLS["thu"]},
        grant("admin", "viewer", "school"),
    ),
    # Accounts: the commission's.
    mutation("setAccountActive", lambda p: {"accountId": p["other_unit"], "active": True}, ADMIN),
    mutation("createAccount", lambda p: {"name": "矩阵查看者", "role": "VIEWER"}, ADMIN),
    query("Query.viewer", "{ viewer { name } }", EVERYONE),
    query("Query.accounts", "{ accounts { id } }", ADMIN),
]


def caller_dependent_fields() -> set[str]:
    """Every root field, and every object field whose resolver reads the request's context:
    each may answer differently to different callers, so each needs a row."""
    found = set()
    for kind in SCHEMA.introspect()["__schema"]["types"]:
        definition = SCHEMA.get_type_by_name(kind["name"])
        if not isinstance(definition, StrawberryObjectDefinition) or definition.is_input:
            continue
        for field in definition.fields:
            resolver = field.base_resolver
            root = kind["name"] in ("Query", "Mutation")
            if root or (resolver is not None and resolver.info_parameter is not None):
                found.add(f"{kind['name']}.{SCHEMA.config.name_converter.get_graphql_name(field)}")
    return found


def test_every_field_that_depends_on_the_caller_has_a_row() -> None:
    missing = caller_dependent_fields() - {row.field for row in ROWS}
    assert not missing, f"no authorisation row for {sorted(missing)}"


def test_every_row_names_a_field_of_the_schema() -> None:
    unknown = {row.field for row in ROWS} - caller_dependent_fields()
    assert not unknown, f"rows for fields the schema lacks: {sorted(unknown)}"


def test_every_row_says_what_each_caller_gets() -> None:
    assert len({row.id for row in ROWS}) == len(ROWS)
    for row in ROWS:
        assert set(row.expect) == set(CALLERS), row.id


def values_at(data: Any, path: Sequence[str]) -> list[Any]:
    if not path or data is None:
        return [data]
    if isinstance(data, list):
        return [value for item in data for value in values_at(item, path)]
    return values_at(data.get(path[0]), path[1:])


def observed(row: Row, body: dict[str, Any]) -> str:
    """What ``body`` shows, in the words of :class:`Outcome`."""
    codes = sorted({e.get("extensions", {}).get("code") for e in body.get("errors", [])})
    values = values_at(body.get("data"), row.path.split("."))
    if codes:
        if codes == ["FORBIDDEN"] and all(v is None for v in values):
            return str(FORBIDDEN)
        return f"errors {codes} with {values!r:.200}"
    if not values:
        return "nothing to look at"
    if all(v is None for v in values):
        return str(HIDDEN)
    if any(v is None for v in values):
        return "partly hidden"
    if all(isinstance(v, str) and v.startswith(BLIND_ID_PREFIX) for v in values):
        return str(BLIND)
    if row.is_mutation:
        problems = sorted({e["code"] for v in values for e in v["userErrors"]})
        return f"refused {','.join(problems)}" if problems else str(OK)
    return str(OK)


def fingerprint(db: Session) -> dict[str, str]:
    """A digest of every table, to show that a refused attempt changed nothing."""
    db.rollback()  # a fresh snapshot
    digests = {}
    for table in Base.metadata.sorted_tables:
        rows = db.execute(select(table).order_by(*table.primary_key.columns)).all()
        digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    db.rollback()
    return digests


@pytest.fixture(scope="module", params=ENGINES)
def prepared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, host: PluginHost
) -> Iterator[Prepared]:
    directory: Path = tmp_path_factory.mktemp("matrix")
    with migrated_database(request, request.param, directory) as url:
        engine = make_engine(url)
        settings = settings_for(url, directory)
        with make_session_factory(engine)() as db, populated_world(settings, host, db) as world:
            yield prepare(world, db)
        engine.dispose()


def prepare(world: World, db: Session) -> Prepared:
    admin = world.api("admin")
    ids: dict[str, str] = {"expert": str(world.account_ids["expert1"])}
    panel = [ids["expert"], str(world.account_ids["expert2"])]
    ids["task"], other_unit = _a_task_of_one_unit_only(world)
    account = create_account(db, name="other_unit", role=Role.UNIT, unit_name=other_unit)
    world.tokens["other_unit"] = issue_token(db, account)
    ids["other_unit"] = str(account.id)
    db.commit()
    for code in (KEPT, GONE):
        created = admin(ROWS[0].document, {"input": {"code": code, "active": False, **KEPT_DATA}})
        assert created["createInstitution"]["userErrors"] == []
    ids["concluded"] = _concluded_session(world, panel)
    ids["open"] = open_session(world, [SCHOOLS[s] for s in SESSION_SCHOOLS], panel, 1, "2027Q2")
    # A school takes part in one session a quarter.
    for name, quarter in (("draft", "2027Q3"), ("unopened", "2027Q4")):
        created = create_session(admin, DRAFT_SCHOOLS, 1, quarter=quarter)
        ids[name] = created["reviewSession"]["id"]
        appointed = admin(APPOINT, {"input": {"sessionId": ids[name], "expertIds": panel}})
        assert appointed["appointExperts"]["userErrors"] == []
    ids["open_item"] = _rectification_item(world, ids["concluded"])
    ids["done_item"] = _rectification_item(world, ids["concluded"], "DONE")
    planned = admin(PLAN, {"input": {"start": "2028Q1", "sessionsPerQuarter": 2, "panelSize": 0}})
    ids["plan"] = planned["planRotation"]["plan"]["id"]
    scores = admin(SESSION_FIELD.format(THU_SCORES.format("SELF", "id")), {"id": ids["concluded"]})
    ids["self_score"] = scores["reviewSession"]["scores"][0]["id"]
    return Prepared(world, db, ids, panel)


PLAN = "mutation($input: PlanRotationInput!) { planRotation(input: $input) { plan { id } } }"
RAISE = """mutation($input: RaiseFindingInput!) {
  raiseFinding(input: $input) { finding { id } userErrors { code } } }"""
PROGRESS = """mutation($input: ReportProgressInput!) {
  reportRectificationProgress(input: $input) { userErrors { code } } }"""


def _a_task_of_one_unit_only(world: World) -> tuple[str, str]:
    """A task of 市教委's, and a municipal unit that does not answer for it."""
    tasks = world.api("viewer")(f'{{ tasks(plan: "{PLAN_KEY}") {{ number units {{ name }} }} }}')
    units = world.api("viewer")('{ responsibleUnits(owner: "") { name } }')
    task = next(t for t in tasks["tasks"] if "市教委" in {u["name"] for u in t["units"]})
    on_task = {u["name"] for u in task["units"]}
    other = next(u["name"] for u in units["responsibleUnits"] if u["name"] not in on_task)
    return str(task["number"]), other


def _concluded_session(world: World, panel: list[str]) -> str:
    """Every school scores itself at 80 and its peers at 75, and expert1 scores each at 75,
    but thu's T20 gets 95 from peers and expert: a highlight to draft. expert2 leaves a
    draft about ruc, which does not count."""
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION_SCHOOLS], panel, 1)
    outside = {f"T{n:02d}": 75.0 for n in range(1, 21)}
    for school in SESSION_SCHOOLS:
        api = world.api(school)
        assert submit(api, session_id, school, "SELF", scores_for("SELF", 80))["userErrors"] == []
        for subject in SESSION_SCHOOLS:
            given = outside | ({"T20": 95.0} if subject == "thu" else {})
            if subject != school:
                assert (
                    submit(api, session_id, subject, "PEER", scores_for("PEER", given))[
                        "userErrors"
                    ]
                    == []
                )
            if school == SESSION_SCHOOLS[0]:
                expert = submit(
                    world.api("expert1"), session_id, subject, "EXPERT", scores_for("EXPERT", given)
                )
                assert expert["userErrors"] == []
    draft = submit(
        world.api("expert2"),
        session_id,
        "ruc",
        "EXPERT",
        [{"indicator": "T01", "value": 60}],
        final=False,
    )
    assert draft["userErrors"] == []
    concluded = world.api("admin")(CONCLUDE, {"id": session_id})["concludeReviewSession"]
    assert concluded["userErrors"] == []
    return session_id


def _rectification_item(world: World, session_id: str, reported: str = "") -> str:
    """A rectification item of thu's, reported as ``reported`` if given."""
    raised = world.api("admin")(
        RAISE,
        {
            "input": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS["thu"],
                "kind": "RECTIFICATION",
                "title": "整改事项",
                "owner": "党委学生工作部",
                "dueQuarter": str(current_quarter().next()),
            }
        },
    )["raiseFinding"]
    assert raised["userErrors"] == []
    finding_id: str = raised["finding"]["id"]
    if reported:
        step = {"findingId": finding_id, "text": "已整改", "status": reported}
        assert world.api("thu")(PROGRESS, {"input": step})["reportRectificationProgress"] == {
            "userErrors": []
        }
    return finding_id


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_each_caller_gets_what_the_spec_grants(prepared: Prepared, row: Row) -> None:
    """Refused callers go first and must leave every table as it was; then the callers
    who are allowed, whose attempts may change things."""
    variables = row.variables(prepared)

    def ask(who: str) -> str:
        return observed(row, prepared.world.api(CALLERS[who]).raw(row.document, variables))

    before = fingerprint(prepared.db) if row.is_mutation else {}
    got = {who: ask(who) for who, outcome in row.expect.items() if outcome is not OK}
    if row.is_mutation:
        after = fingerprint(prepared.db)
        assert [t for t in after if after[t] != before[t]] == [], "a refused attempt wrote"
    got |= {who: ask(who) for who, outcome in row.expect.items() if outcome is OK}
    assert got == {who: str(outcome) for who, outcome in row.expect.items()}


DRAFTS_ABOUT_RUC = SESSION_FIELD.format(
    'scores(institutionCode: "' + SCHOOLS["ruc"] + '") { status }'
)


@pytest.mark.parametrize(
    ("who", "drafts"), [("admin", 1), ("expert2", 1), ("expert1", 0), ("ruc", 0)]
)
def test_a_draft_is_seen_by_its_author_and_the_commission_only(
    prepared: Prepared, who: str, drafts: int
) -> None:
    """R14, after conclusion too: expert2's draft about ruc stays expert2's."""
    data = prepared.world.api(who)(DRAFTS_ABOUT_RUC, {"id": prepared["concluded"]})
    statuses = [s["status"] for s in data["reviewSession"]["scores"]]
    assert statuses.count("DRAFT") == drafts
