"""A prepared world for tests that probe many fields against one state: sessions in each
status, a rotation plan, rectification items, inactive institutions to edit, and a digest of
every table to show that a refused request changed nothing. Built once per engine by the
module-scoped ``prepared`` fixture of ``tests/conftest.py``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Dialect, Table, select
from sqlalchemy.orm import Session

from sanquan.api.ids import global_id
from sanquan.auth.models import Role
from sanquan.auth.tokens import create_account, issue_token
from sanquan.db import Base
from sanquan.timeutil import current_quarter
from tests.conftest import SCHOOLS, World
from tests.flows import APPOINT, CONCLUDE, create_session, open_session, scores_for, submit

PLAN_KEY = "jingjiaozufa-2019-3"
KEPT = "4111099901"  # an inactive institution the commission edits
GONE = "4111099902"  # an inactive institution the commission deletes
KEPT_DATA = {"name": "矩阵测试学院", "authority": "北京市教委", "level": "本科", "category": "理工"}
KEPT_CSV = f"code,{','.join(KEPT_DATA)}\n{KEPT},{','.join(KEPT_DATA.values())}\n"
SESSION_SCHOOLS = ["thu", "ruc", "ustb"]
DRAFT_SCHOOLS = [SCHOOLS[s] for s in ("pku", "buaa", "ruc")]

SESSION_FIELD = "query($id: ID!) {{ reviewSession(id: $id) {{ {} }} }}"
THU_SCORES = (
    'scores(institutionCode: "' + SCHOOLS["thu"] + '", source: {}, first: 200) {{ nodes {{ {} }} }}'
)
CREATE_INSTITUTION = """mutation($input: CreateInstitutionInput!) {
  createInstitution(input: $input) { userErrors { code } } }"""
PLAN = "mutation($input: PlanRotationInput!) { planRotation(input: $input) { plan { id } } }"
RAISE = """mutation($input: RaiseFindingInput!) {
  raiseFinding(input: $input) { finding { id } userErrors { code } } }"""
PROGRESS = """mutation($input: ReportProgressInput!) {
  reportRectificationProgress(input: $input) { userErrors { code } } }"""


@dataclass
class Prepared:
    """The world the probes run against: a concluded session and an open one of thu, ruc
    and ustb with expert1 and expert2 as panel (expert1 scored, and expert2 left a draft in
    the concluded one), two draft sessions, a draft rotation plan, an open and a done
    rectification item of thu, inactive institutions to edit, and ``other_unit``, a
    municipal unit that does not answer for ``task``."""

    world: World
    db: Session
    ids: dict[str, str]
    panel: list[str]

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


def fingerprint(db: Session) -> dict[str, str]:
    """A digest of every table, to show that a refused attempt changed nothing: every row
    as the database driver returns it (the stored values themselves, without the ORM's
    conversions, which took half the time of the fuzzing tests' thousands of digests)."""
    db.rollback()  # a fresh snapshot
    connection = db.connection()
    digests = {}
    for table in Base.metadata.sorted_tables:
        rows = connection.exec_driver_sql(every_row(table, connection.dialect)).fetchall()
        digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    db.rollback()
    return digests


@cache
def every_row(table: Table, dialect: Dialect) -> str:
    """The SQL reading every row of ``table`` in its key's order, compiled once."""
    return str(select(table).order_by(*table.primary_key.columns).compile(dialect=dialect))


def changed_tables(before: dict[str, str], db: Session) -> list[str]:
    """The tables whose digest differs from ``before``."""
    after = fingerprint(db)
    return [table for table in after if after[table] != before[table]]


def prepare(world: World, db: Session) -> Prepared:
    admin = world.api("admin")
    ids: dict[str, str] = {"expert": global_id("Account", world.account_ids["expert1"])}
    panel = [ids["expert"], global_id("Account", world.account_ids["expert2"])]
    ids["task"], other_unit = _a_task_of_one_unit_only(world)
    account = create_account(db, name="other_unit", role=Role.UNIT, unit_name=other_unit)
    world.tokens["other_unit"] = issue_token(db, account)
    ids["other_unit"] = global_id("Account", account.id)
    db.commit()
    for code in (KEPT, GONE):
        created = admin(
            CREATE_INSTITUTION,
            {"input": {"code": code, "active": False, **KEPT_DATA, "level": "UNDERGRADUATE"}},
        )
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
    for source in ("SELF", "EXPERT"):
        document = SESSION_FIELD.format(THU_SCORES.format(source, "id"))
        scores = admin(document, {"id": ids["concluded"]})["reviewSession"]["scores"]
        ids[f"{source.lower()}_score"] = scores["nodes"][0]["id"]
    return Prepared(world, db, ids, panel)


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
