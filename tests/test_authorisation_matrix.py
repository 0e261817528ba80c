"""Authorisation by role and relation (R14, R21, R22), as one table checked against the schema.

Every mutation, every query field and every object field that reads the request's context
(the only way a field can depend on who asks) has a row: a document with variables that fit
a prepared world, and what each caller gets. The callers are each role, and for the roles
with a relation both sides of it. The outcomes are written from the SPEC, the README and the
schema's descriptions; a field without a row, or a row without a field, fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from strawberry.types.base import StrawberryObjectDefinition

from sanquan.api.schema import build_schema
from sanquan.config import Settings
from sanquan.timeutil import current_quarter
from tests.conftest import SCHOOLS
from tests.flows import SET, is_blind_id
from tests.live import first_result
from tests.prepared import (
    DRAFT_SCHOOLS,
    GONE,
    KEPT,
    KEPT_CSV,
    PLAN_KEY,
    SESSION_FIELD,
    THU_SCORES,
    Prepared,
    changed_tables,
    fingerprint,
)

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

ADDED = "4111099903"


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
"""The field answers with a blind id that ties the score to no expert."""


def refused(code: str) -> Outcome:
    return Outcome(f"refused {code}")


def grant(*allowed: str, **others: Outcome) -> dict[str, Outcome]:
    """``allowed`` get through, ``others`` get what is given, everyone else FORBIDDEN."""
    unknown = (set(allowed) | set(others)) - set(CALLERS)
    assert not unknown, f"no such caller: {unknown}"
    return {who: OK if who in allowed else others.get(who, FORBIDDEN) for who in CALLERS}


def shown_to(*allowed: str) -> dict[str, Outcome]:
    """``node`` and ``nodes``: ``allowed`` read the object, to anyone else it is null, as
    an id that names nothing would be."""
    return grant(*allowed, **{who: HIDDEN for who in CALLERS if who not in allowed})


EVERYONE = grant(*CALLERS)
ADMIN = grant("admin")
NOT_A_REVIEWER = refused("NOT_A_REVIEWER")


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

    @property
    def is_subscription(self) -> bool:
        return self.field.startswith("Subscription.")


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


def node(case: str, given: Callable[[Prepared], str], expect: Mapping[str, Outcome]) -> Row:
    """A row reading the object ``given`` names back by its global id."""
    document = "query($id: ID!) { node(id: $id) { id __typename } }"
    return query("Query.node", document, expect, "node", lambda p: {"id": given(p)}, case)


THU_ITEMS = (
    '{{ rectificationItems(institutionCode: "' + SCHOOLS["thu"] + '") '
    "{{ totalCount nodes {{ {} }} }} }}"
)


def export(kind: str, given: Variables, expect: Mapping[str, Outcome]) -> Row:
    return mutation(
        "createExportLink", lambda p: {"kind": kind, **given(p)}, expect, case=kind.lower()
    )


ON_OPEN: Variables = lambda p: {"id": p["open"]}  # noqa: E731
ON_CONCLUDED: Variables = lambda p: {"id": p["concluded"]}  # noqa: E731
PLAN_FIELD = "query($id: ID!) {{ rotationPlan(id: $id) {{ {} }} }}"
ON_PLAN: Variables = lambda p: {"id": p["plan"]}  # noqa: E731


def score_field(selection: str, source: str, expect: Mapping[str, Outcome], case: str) -> Row:
    """A row reading a field of the concluded session's ``source`` scores about thu."""
    field = selection.split(maxsplit=1)[0]
    document = SESSION_FIELD.format(THU_SCORES.format(source, selection))
    path = f"reviewSession.scores.nodes.{field}"
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
        SESSION_FIELD.format("scores { totalCount }"),
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
    query(
        "ReviewSession.progress",
        SESSION_FIELD.format("progress { canConclude institutions { submitted } }"),
        ADMIN,
        "reviewSession.progress",
        ON_OPEN,
    ),
    query(
        "Subscription.sessionProgress",
        "subscription($id: ID!) { sessionProgress(sessionId: $id) { status submitted } }",
        ADMIN,
        variables=ON_OPEN,
        case="over graphql-transport-ws",
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
        "ReviewSession.scoreboard",
        SESSION_FIELD.format("scoreboard { indicators rows { rank } }"),
        EVERYONE,
        "reviewSession.scoreboard",
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
    query("WorkPlan.tasks", "{ plans { tasks { number } } }", EVERYONE, "plans.tasks"),
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
    query(
        "Account.unit",
        "{ viewer { unit { name } } }",
        # a UNIT account's own unit; null for every account that reports for none
        grant("unit", "other_unit", **dict.fromkeys(set(CALLERS) - {"unit", "other_unit"}, HIDDEN)),
        "viewer.unit",
    ),
    query("Query.accounts", "{ accounts { totalCount } }", ADMIN),
    # Global ids: `node` opens no wider than the query that hands each object out.
    node("a session", lambda p: p["open"], EVERYONE),
    node("a rotation plan", lambda p: p["plan"], shown_to("admin")),
    node("an expert's account", lambda p: p["expert"], shown_to("admin", "expert")),
    node(
        "a rectification item",
        lambda p: p["open_item"],
        shown_to("admin", "viewer", "school", "expert", "fellow_expert"),
    ),
    node(
        "a self-evaluation, concluded",
        lambda p: p["self_score"],
        shown_to("admin", "school", "expert", "fellow_expert"),
    ),
    node(
        "an expert score by its row id",
        lambda p: p["expert_score"],
        shown_to("admin", "expert"),
    ),
    query(
        "Query.nodes",
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        shown_to("admin"),
        "nodes.id",
        variables=lambda p: {"ids": [p["plan"], p["plan"]]},
    ),
    query(
        "ReviewSession.findings",
        SESSION_FIELD.format("findings { totalCount }"),
        grant("admin", "viewer", "school", "other_school", "expert", "fellow_expert"),
        "reviewSession.findings",
        ON_CONCLUDED,
    ),
    query(
        "Finding.session",
        THU_ITEMS.format("session { id }"),
        grant("admin", "viewer", "school"),
        "rectificationItems.nodes.session",
    ),
    query(
        "Finding.verifiedIn",
        THU_ITEMS.format("verifiedIn { id }"),
        grant("admin", "viewer", "school"),
        "rectificationItems.totalCount",
    ),
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
            root = kind["name"] in ("Query", "Mutation", "Subscription")
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
    if all(is_blind_id(v) for v in values):
        return str(BLIND)
    if row.is_mutation:
        problems = sorted({e["code"] for v in values for e in v["userErrors"]})
        return f"refused {','.join(problems)}" if problems else str(OK)
    return str(OK)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_each_caller_gets_what_the_spec_grants(prepared: Prepared, row: Row) -> None:
    """Refused callers go first and must leave every table as it was; then the callers
    who are allowed, whose attempts may change things."""
    variables = row.variables(prepared)

    def ask(who: str) -> str:
        if row.is_subscription:
            token = prepared.world.tokens[CALLERS[who]]
            return observed(
                row, first_result(prepared.world.client, token, row.document, variables)
            )
        return observed(row, prepared.world.api(CALLERS[who]).raw(row.document, variables))

    before = fingerprint(prepared.db) if row.is_mutation else {}
    got = {who: ask(who) for who, outcome in row.expect.items() if outcome is not OK}
    if row.is_mutation:
        assert changed_tables(before, prepared.db) == [], "a refused attempt wrote"
    got |= {who: ask(who) for who, outcome in row.expect.items() if outcome is OK}
    assert got == {who: str(outcome) for who, outcome in row.expect.items()}


DRAFTS_ABOUT_RUC = SESSION_FIELD.format(
    'scores(institutionCode: "' + SCHOOLS["ruc"] + '", first: 200) { nodes { status } }'
)


@pytest.mark.parametrize(
    ("who", "drafts"), [("admin", 1), ("expert2", 1), ("expert1", 0), ("ruc", 0)]
)
def test_a_draft_is_seen_by_its_author_and_the_commission_only(
    prepared: Prepared, who: str, drafts: int
) -> None:
    """R14, after conclusion too: expert2's draft about ruc stays expert2's."""
    data = prepared.world.api(who)(DRAFTS_ABOUT_RUC, {"id": prepared["concluded"]})
    statuses = [s["status"] for s in data["reviewSession"]["scores"]["nodes"]]
    assert statuses.count("DRAFT") == drafts
