"""Exports end to end: a link from ``createExportLink``, the file downloaded from it, read
back with openpyxl (and the csv module) and compared cell by cell with what GraphQL says
about the same data; who may export what; and every way a link can fail."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sanquan.api.ids import parse_id
from sanquan.auth.models import Account
from sanquan.auth.tokens import revoke_token
from sanquan.exports.models import ExportLink
from sanquan.review.models import ReviewSession
from sanquan.tables.models import ProgressReport
from sanquan.timeutil import current_quarter, utcnow
from tests.commands import in_process
from tests.conftest import SCHOOLS, World
from tests.flows import read_all
from tests.test_findings import raise_item
from tests.test_review_flow import run_full_session
from tests.test_tables import PLAN, report

LINK = """mutation($i: ExportInput!) { createExportLink(input: $i) {
  link { url fileName format rows expiresAt } userErrors { field code message } } }"""
QUARTER = str(current_quarter())  # progress is reported near today
SCHOOL_PLAN, SCHOOL = "hnkjzydx-ideology-2023", "河南科技职业大学"
PROGRESS = {"ON_TRACK": "按计划推进", "BEHIND": "进度滞后", "DONE": "已完成"}
SOURCES = {"SELF": "学校自评", "PEER": "同行互评", "EXPERT": "专家点评"}
ITEM_STATUS = {"OPEN": "待整改", "IN_PROGRESS": "整改中", "DONE": "已完成", "VERIFIED": "已核查"}


def link(world: World, who: str, **wanted: Any) -> dict[str, Any]:
    payload: dict[str, Any] = world.api(who)(LINK, {"i": wanted})["createExportLink"]
    return payload


def download(world: World, who: str | None, url: str, language: str = "zh") -> Any:
    """The file behind a link, fetched with ``who``'s token (none when ``None``)."""
    headers = {"Accept-Language": language}
    if who is not None:
        headers["Authorization"] = f"Bearer {world.tokens[who]}"
    return world.client.get(urlsplit(url).path, headers=headers)


def fetch(world: World, who: str, **wanted: Any) -> Any:
    made = link(world, who, **wanted)
    assert made["userErrors"] == [], made
    response = download(world, who, made["link"]["url"])
    assert response.status_code == 200, response.text
    return response


def xlsx_rows(content: bytes) -> list[tuple[Any, ...]]:
    """The sheet's values, after checking what makes it usable in Excel: the header frozen
    and filterable over every row, and columns wide enough for their Chinese header."""
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2", "the header stays in view"
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    if len(rows) > 1:
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(rows[0]))}{len(rows)}"
    for index, header in enumerate(rows[0], start=1):
        width = sheet.column_dimensions[get_column_letter(index)].width
        assert width >= 2 * len(str(header)), f"column {header} too narrow for its header"
    return rows


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode()), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def assert_both_formats(
    world: World, who: str, expected: Sequence[tuple[Any, ...]], **wanted: Any
) -> None:
    """``expected`` (header first) is what the .xlsx holds, cell by cell, and what the CSV
    holds as text."""
    xlsx = fetch(world, who, format="XLSX", **wanted).content
    assert xlsx_rows(xlsx) == list(expected)
    text = fetch(world, who, format="CSV", **wanted).content
    assert csv_rows(text) == [[as_csv(cell) for cell in row] for row in expected]


def as_csv(cell: Any) -> str:
    """How a cell must read in the CSV, said independently of the exporter: scores and
    means with two decimals (the .xlsx holds them exact), counts as they are, nothing for
    empty, formula-like text behind a quote."""
    if cell is None:
        return ""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@"):
        return "'" + cell
    return f"{cell:.2f}" if isinstance(cell, float) else str(cell)


def minute(iso: str | None) -> str | None:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M") if iso else None


TASKS = """query($plan: String!, $q: Quarter!) { tasks(plan: $plan) { number section title
  assignments { lead unit { name fullName } }
  progress(quarter: $q) { unit { name } status text reportedAt } } }"""


def expected_plan_table(world: World, plan: str) -> list[tuple[Any, ...]]:
    """The responsibility table of ``plan`` as GraphQL describes it, header first."""
    tasks = world.api("viewer")(TASKS, {"plan": plan, "q": QUARTER})["tasks"]
    header = ("序号", "部分", "任务", "责任单位", "单位全称", "分工")
    expected: list[tuple[Any, ...]] = [(*header, "进展季度", "进展状态", "进展情况", "报告时间")]
    for task in tasks:
        reports = {r["unit"]["name"]: r for r in task["progress"]}
        for assignment in task["assignments"]:
            unit = assignment["unit"]
            found = reports.get(unit["name"])
            expected.append(
                (
                    task["number"],
                    task["section"],
                    task["title"],
                    unit["name"],
                    unit["fullName"],
                    "牵头" if assignment["lead"] else "参与",
                    QUARTER,
                    PROGRESS[found["status"]] if found else "未报告",
                    found["text"] if found else None,
                    minute(found["reportedAt"]) if found else None,
                )
            )
    return expected


def test_a_plans_table_matches_its_tasks_and_progress_cell_by_cell(world: World) -> None:
    assert report(world, "unit", 1, "组织专题培训 3 场")["userErrors"] == []
    assert report(world, "unit", 15, "已形成工作方案", status="BEHIND")["userErrors"] == []
    expected = expected_plan_table(world, PLAN)
    assert len(expected) > 60 and sum(1 for row in expected[1:] if row[7] != "未报告") == 2
    assert_both_formats(world, "viewer", expected, kind="PLAN_TABLE", plan=PLAN, quarter=QUARTER)


def test_a_schools_own_plan_and_unit_export_the_same_way(world: World) -> None:
    expected = expected_plan_table(world, SCHOOL_PLAN)
    assert {row[0] for row in expected[1:]} == set(range(1, 23))
    assert_both_formats(
        world, "viewer", expected, kind="PLAN_TABLE", plan=SCHOOL_PLAN, quarter=QUARTER
    )
    wanted = {"kind": "UNIT_TABLE", "unit": "党委宣传部", "quarter": QUARTER}
    refused = link(world, "viewer", **wanted)
    assert [e["code"] for e in refused["userErrors"]] == ["UNKNOWN_UNIT"], "not a municipal unit"
    rows = xlsx_rows(fetch(world, "viewer", unitOwner=SCHOOL, **wanted).content)
    assert [(r[1], r[3]) for r in rows[1:]] == [(3, "牵头"), (12, "牵头")]


UNIT = """query($q: Quarter!) { responsibleUnits(name: "市教委") { name tasks { number title
  assignments { lead unit { name } } progress(quarter: $q) { unit { name } status text } } } }"""


def test_a_units_table_lists_its_tasks_with_its_part_and_its_own_progress(world: World) -> None:
    assert report(world, "unit", 3, "印发实施细则", status="DONE")["userErrors"] == []
    unit = world.api("unit")(UNIT, {"q": QUARTER})["responsibleUnits"][0]
    header = ("方案", "序号", "任务", "分工", "牵头单位", "其他责任单位")
    expected: list[tuple[Any, ...]] = [(*header, "进展季度", "进展状态", "进展情况")]
    for task in unit["tasks"]:
        names = [a["unit"]["name"] for a in task["assignments"]]
        mine = next(a for a in task["assignments"] if a["unit"]["name"] == "市教委")
        own = [r for r in task["progress"] if r["unit"]["name"] == "市教委"]
        expected.append(
            (
                "京教组发[2019]3号",
                task["number"],
                task["title"],
                "牵头" if mine["lead"] else "参与",
                names[0],
                "、".join(n for n in names if n != "市教委") or None,
                QUARTER,
                PROGRESS[own[0]["status"]] if own else "未报告",
                own[0]["text"] if own else None,
            )
        )
    wanted = {"kind": "UNIT_TABLE", "unit": "市教委", "quarter": QUARTER}
    rows = xlsx_rows(fetch(world, "unit", **wanted).content)
    assert [row[:9] for row in rows] == expected
    assert rows[0][9] == "报告时间"
    assert rows[2][9] is not None, "task 3's report carries its time"
    assert len(rows) == 17, "市教委 answers for 16 of the 20 tasks"


RESULTS = """query($id: ID!) { reviewSession(id: $id) { results { rank overallIndex
  institution { code name }
  indicators { indicator title selfValue peerMean expertMean combined peerCount expertCount }
} } }"""


def test_results_sheet_matches_the_results_query_cell_by_cell(world: World) -> None:
    session_id = run_full_session(world)
    results = world.api("viewer")(RESULTS, {"id": session_id})["reviewSession"]["results"]
    header = ("排名", "高校代码", "高校", "综合指数", "指标代码", "指标", "自评")
    expected: list[tuple[Any, ...]] = [
        (*header, "互评均值", "专家均值", "综合", "互评份数", "专家份数")
    ]
    for result in sorted(results, key=lambda r: r["rank"]):
        for i in result["indicators"]:
            expected.append(
                (
                    result["rank"],
                    result["institution"]["code"],
                    result["institution"]["name"],
                    result["overallIndex"],
                    i["indicator"],
                    i["title"],
                    i["selfValue"],
                    i["peerMean"],
                    i["expertMean"],
                    i["combined"],
                    i["peerCount"],
                    i["expertCount"],
                )
            )
    assert len(expected) == 1 + 3 * 20
    assert_both_formats(world, "viewer", expected, kind="SESSION_RESULTS", sessionId=session_id)


SCORES = """query($id: ID!, $after: String) { reviewSession(id: $id) {
  scores(first: 200, after: $after) { pageInfo { hasNextPage endCursor } nodes {
  institution { code } indicator source value reviewerInstitution { name }
  reviewerExpert { name } updatedAt } } } }"""


def score_keys(world: World, who: str, session_id: str) -> list[tuple[Any, ...]]:
    """What GraphQL shows ``who`` of the session's scores, as (subject, indicator, source,
    reviewer, value); an expert GraphQL does not name is the anonymous expert."""
    scores = read_all(world.api(who), SCORES, {"id": session_id}, "reviewSession", "scores")
    return sorted(
        (
            s["institution"]["code"],
            s["indicator"],
            SOURCES[s["source"]],
            (s["reviewerInstitution"] or s["reviewerExpert"] or {"name": "专家(匿名)"})["name"],
            s["value"],
        )
        for s in scores
    )


def test_score_sheet_holds_exactly_the_scores_the_reader_may_see(world: World) -> None:
    session_id = run_full_session(world)
    sheets = {
        who: xlsx_rows(fetch(world, who, kind="SCORE_SHEET", sessionId=session_id).content)
        for who in ("admin", "thu", "expert1")
    }
    for who, rows in sheets.items():
        assert rows[0][:4] == ("被评高校代码", "被评高校", "指标代码", "指标")
        assert rows[0][4:7] == ("评价类型", "评价方", "分值")
        exported = sorted((r[0], r[2], r[4], r[5], r[6]) for r in rows[1:])
        assert exported == score_keys(world, who, session_id), who
    # 3 self, 6 peer and 21 expert evaluations of 20 indicators
    assert len(sheets["admin"]) == 1 + (3 + 6 + 21) * 20
    school = sheets["thu"][1:]
    anonymous = [r for r in school if r[4] == "专家点评"]
    assert anonymous and all(r[5] == "专家(匿名)" and r[11] is None for r in anonymous)
    assert all(r[11] is not None for r in school if r[4] != "专家点评")
    named = {r[5] for r in sheets["admin"][1:] if r[4] == "专家点评"}
    assert named == {f"expert{i}" for i in range(1, 7)} | {"expert_pku"}


def test_score_sheet_before_conclusion_is_the_readers_own_scores_only(world: World) -> None:
    session_id = run_full_session(world, conclude=False)
    rows = xlsx_rows(fetch(world, "ruc", kind="SCORE_SHEET", sessionId=session_id).content)
    assert {r[5] for r in rows[1:]} == {"中国人民大学"}
    assert len(rows) == 1 + 3 * 20  # its self-evaluation and two peer evaluations
    outsider = world.api("buaa").raw(LINK, {"i": {"kind": "SCORE_SHEET", "sessionId": session_id}})
    assert outsider["errors"][0]["extensions"]["code"] == "FORBIDDEN"


ITEMS = """query { rectificationItems { edges { node { id title owner dueQuarter status overdue
  institution { code name } } } } }"""


def test_rectification_list_matches_the_items_and_a_school_gets_its_own(world: World) -> None:
    session_id = run_full_session(world)
    for school, title in (("ustb", "志愿服务长效机制不健全"), ("thu", "=网络育人平台访问量低")):
        assert raise_item(world, session_id, school, title=title)["userErrors"] == []
    nodes = [e["node"] for e in world.api("viewer")(ITEMS)["rectificationItems"]["edges"]]
    rows = xlsx_rows(fetch(world, "viewer", kind="RECTIFICATION_LIST").content)
    assert rows[0][:2] == ("编号", "高校代码")
    assert sorted((r[0], r[1], r[2], r[6], r[8], r[9], r[10], r[11]) for r in rows[1:]) == sorted(
        (
            parse_id(n["id"], "Finding"),
            n["institution"]["code"],
            n["institution"]["name"],
            n["title"],
            n["owner"],
            n["dueQuarter"],
            ITEM_STATUS[n["status"]],
            "是" if n["overdue"] else "否",
        )
        for n in nodes
    )
    assert len(rows) == 3
    own = xlsx_rows(fetch(world, "thu", kind="RECTIFICATION_LIST").content)
    assert [r[1] for r in own[1:]] == [SCHOOLS["thu"]]
    sheet = load_workbook(io.BytesIO(fetch(world, "thu", kind="RECTIFICATION_LIST").content)).active
    assert sheet is not None
    title = sheet.cell(row=2, column=7)
    assert (title.value, title.data_type) == ("=网络育人平台访问量低", "s"), "text, no formula"


def test_formula_like_text_is_text_in_both_formats(world: World) -> None:
    assert report(world, "unit", 1, '=HYPERLINK("http://x","点击")')["userErrors"] == []
    wanted = {"kind": "PLAN_TABLE", "plan": PLAN, "quarter": QUARTER}
    xlsx = fetch(world, "viewer", format="XLSX", **wanted).content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    cell = sheet.cell(row=3, column=9)  # task 1, 市教委, 进展情况
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x","点击")', "s")
    text = csv_rows(fetch(world, "viewer", format="CSV", **wanted).content)
    assert text[2][8] == '\'=HYPERLINK("http://x","点击")'


def test_download_names_the_file_in_chinese_with_an_ascii_fallback(world: World) -> None:
    made = link(world, "viewer", kind="PLAN_TABLE", plan=PLAN, quarter=QUARTER, format="CSV")
    assert made["link"]["fileName"] == f"责任分工表_京教组发[2019]3号_{QUARTER}.csv"
    assert made["link"]["format"] == "CSV" and made["link"]["rows"] > 60
    response = download(world, "viewer", made["link"]["url"])
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    disposition = response.headers["content-disposition"]
    assert f'filename="responsibility_jingjiaozufa-2019-3_{QUARTER}.csv"' in disposition
    assert "filename*=UTF-8''" + quote(made["link"]["fileName"]) in disposition


def links_count(db: Session) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(ExportLink)) or 0


def test_bad_requests_get_typed_errors_and_no_link(world: World, db: Session) -> None:
    missing = link(world, "viewer", kind="PLAN_TABLE")
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [("INVALID_VALUE", ["plan"])]
    unknown = link(world, "viewer", kind="PLAN_TABLE", plan="no-such-plan")
    assert [e["code"] for e in unknown["userErrors"]] == ["UNKNOWN_WORK_PLAN"]
    session_id = run_full_session(world, conclude=False)
    early = link(world, "viewer", kind="SESSION_RESULTS", sessionId=session_id)
    assert [e["code"] for e in early["userErrors"]] == ["SESSION_NOT_CONCLUDED"]
    for who, wanted in (
        ("expert1", {"kind": "RECTIFICATION_LIST"}),
        ("unit", {"kind": "RECTIFICATION_LIST"}),
        ("thu", {"kind": "RECTIFICATION_LIST", "institutionCode": SCHOOLS["pku"]}),
        ("viewer", {"kind": "SCORE_SHEET", "sessionId": session_id}),
    ):
        body = world.api(who).raw(LINK, {"i": wanted})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (who, wanted)
    assert links_count(db) == 0, "a refused request leaves no link behind"
    anonymous = world.anonymous().post(LINK, {"i": {"kind": "RECTIFICATION_LIST"}})
    assert anonymous.status_code == 401


def error_code(response: Any) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_unknown_expired_and_orphaned_links_are_refused(
    world: World, db: Session, language: str
) -> None:
    unknown = download(world, "viewer", "/exports/sqx_nothing-here", language)
    assert (unknown.status_code, error_code(unknown)) == (404, "UNKNOWN_EXPORT_LINK")
    assert "sqx_" not in unknown.text

    url = link(world, "viewer", kind="PLAN_TABLE", plan=PLAN)["link"]["url"]
    db.execute(update(ExportLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    expired = download(world, "viewer", url, language)
    assert (expired.status_code, error_code(expired)) == (410, "EXPORT_LINK_EXPIRED")
    assert ("expired" if language == "en" else "过期") in expired.json()["errors"][0]["message"]

    url = link(world, "thu", kind="RECTIFICATION_LIST")["link"]["url"]
    assert download(world, "thu", url).status_code == 200
    db.execute(update(Account).where(Account.name == "thu").values(active=False))
    db.commit()
    assert download(world, "thu", url).status_code == 401, "a link dies with its account"


def test_a_link_needs_the_token_of_the_account_that_asked_for_it(world: World, db: Session) -> None:
    url = link(world, "thu", kind="RECTIFICATION_LIST")["link"]["url"]
    anonymous = download(world, None, url)
    assert (anonymous.status_code, error_code(anonymous)) == (401, "UNAUTHENTICATED")
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    for other in ("ruc", "admin"):
        refused = download(world, other, url)
        assert (refused.status_code, error_code(refused)) == (404, "UNKNOWN_EXPORT_LINK")
    assert download(world, "thu", url).status_code == 200
    assert download(world, "thu", url).status_code == 200, "usable until it expires"
    assert revoke_token(db, world.tokens["thu"])
    db.commit()
    assert download(world, "thu", url).status_code == 401, "a revoked token opens nothing"


def test_a_stored_link_this_version_cannot_read_is_unknown(world: World, db: Session) -> None:
    url = link(world, "viewer", kind="PLAN_TABLE", plan=PLAN)["link"]["url"]
    db.execute(update(ExportLink).values(params='{"kind": "GONE"}'))
    db.commit()
    response = download(world, "viewer", url)
    assert (response.status_code, error_code(response)) == (404, "UNKNOWN_EXPORT_LINK")


def test_parameters_a_kind_does_not_use_are_refused_by_name(world: World) -> None:
    made = link(world, "viewer", kind="PLAN_TABLE", plan=PLAN, sessionId="1", overdue=True)
    assert [(e["code"], e["field"]) for e in made["userErrors"]] == [
        ("INVALID_VALUE", ["overdue"]),
        ("INVALID_VALUE", ["sessionId"]),
    ]
    made = link(world, "viewer", kind="RECTIFICATION_LIST", quarter=QUARTER)
    assert [e["field"] for e in made["userErrors"]] == [["quarter"]]


def test_control_characters_are_refused_and_old_ones_exported_visibly(
    world: World, db: Session
) -> None:
    refused = report(world, "unit", 1, "进展\x01说明")
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID_VALUE", ["text"])]
    assert report(world, "unit", 1, "进展说明")["userErrors"] == []
    db.execute(update(ProgressReport).values(text="旧数据\x01含控制字符"))
    db.commit()
    wanted = {"kind": "PLAN_TABLE", "plan": PLAN, "quarter": QUARTER}
    rows = xlsx_rows(fetch(world, "viewer", format="XLSX", **wanted).content)
    assert rows[2][8] == "旧数据\ufffd含控制字符"
    text = csv_rows(fetch(world, "viewer", format="CSV", **wanted).content)
    assert text[2][8] == "旧数据\ufffd含控制字符"


def test_a_link_is_stored_only_as_a_hash_and_expires_in_minutes(world: World, db: Session) -> None:
    made = link(world, "viewer", kind="PLAN_TABLE", plan=PLAN)["link"]
    secret = urlsplit(made["url"]).path.rsplit("/", 1)[1]
    db.rollback()
    stored = db.scalars(select(ExportLink)).one()
    assert secret not in stored.token_hash and len(stored.token_hash) == 64
    lifetime = stored.expires_at - stored.created_at
    assert timedelta(minutes=5) <= lifetime <= timedelta(hours=1)
    assert datetime.fromisoformat(made["expiresAt"]).utcoffset() == timedelta(hours=8)


def test_a_malformed_session_id_or_kind_is_a_typed_error(world: World) -> None:
    made = link(world, "viewer", kind="SCORE_SHEET", sessionId="x")
    assert [(e["code"], e["field"]) for e in made["userErrors"]] == [
        ("UNKNOWN_SESSION", ["sessionId"])
    ]
    body = world.api("viewer").raw(LINK, {"i": {"kind": "NOT_A_KIND"}})
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "NOT_A_KIND" in body["errors"][0]["message"]


def test_cli_export_names_its_options_and_writes_what_the_link_serves(
    world: World, database_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "SANQUAN_DATABASE_URL": database_url, "COLUMNS": "200"}
    command = [sys.executable, "-m", "sanquan", "export"]
    wrong = in_process(["export", "results", "--plan", PLAN], env)  # what it says: here
    assert wrong.returncode == 2
    assert wrong.stdout == ""
    assert "--session:sanquan export results 必须指定此选项" in wrong.stderr
    assert "--plan:sanquan export results 不使用此选项" in wrong.stderr
    written = tmp_path / "table.csv"
    options = ["--plan", PLAN, "--quarter", QUARTER, "--format", "csv", "--output", str(written)]
    done = subprocess.run(
        [*command, "plan-table", *options],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"已写入 {written}" in done.stdout
    served = fetch(world, "viewer", kind="PLAN_TABLE", plan=PLAN, quarter=QUARTER, format="CSV")
    assert written.read_bytes() == served.content


def test_people_read_two_decimals_and_the_quarter_once(world: World, db: Session) -> None:
    """The CSV rounds scores and means to two decimals (the .xlsx keeps them exact and
    shows two, GraphQL gives them exact), and a sheet named after a session whose title
    already says its quarter says it once."""
    session_id = run_full_session(world)
    db.execute(
        update(ReviewSession)
        .where(ReviewSession.id == parse_id(session_id, "ReviewSession"))
        .values(title="2027Q1 高校“三全育人”季度点评")
    )
    db.commit()
    results = world.api("viewer")(RESULTS, {"id": session_id})["reviewSession"]["results"]
    exact = {r["institution"]["code"]: r["overallIndex"] for r in results}
    xlsx = fetch(world, "viewer", kind="SESSION_RESULTS", sessionId=session_id, format="XLSX")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert sheet.title == "点评结果 2027Q1 高校“三全育人”季度点评"[:31]
    assert sheet["D2"].number_format == "0.00"
    assert sheet["D2"].value == exact[sheet["B2"].value]
    text = fetch(world, "viewer", kind="SESSION_RESULTS", sessionId=session_id, format="CSV")
    rows = csv_rows(text.content)[1:]
    assert {row[1]: row[3] for row in rows} == {c: f"{v:.2f}" for c, v in exact.items()}
    assert all(re.fullmatch(r"\d+\.\d\d", row[9]) for row in rows)  # 综合
