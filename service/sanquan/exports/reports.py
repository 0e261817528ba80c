"""The exports the commission asks for, each built as one :class:`Table` for a reader.

Who may read what is the same rule as in GraphQL: the responsibility tables and a concluded
session's results are open to every signed-in user; scores follow blind review (R14) and
keep an expert's identity from schools; a school sees only its own rectification items.
Headers are Chinese because the readers are; codes stay beside names so that a sheet can
be joined with others.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from sanquan.auth.tokens import Principal
from sanquan.errors import SOURCE_NAMES, DomainError, ErrorCode, Forbidden
from sanquan.exports.table import Cell, Column, ColumnKind, Table, ascii_name, file_name
from sanquan.findings.models import Finding, ItemStatus
from sanquan.findings.service import is_overdue, items_query, reader_scope
from sanquan.institutions.service import get_institution
from sanquan.plugins.host import PluginHost
from sanquan.quarter import Quarter
from sanquan.review import visibility
from sanquan.review.models import ReviewSession, Score, ScoreStatus
from sanquan.review.results import indicator_titles, session_results
from sanquan.review.sessions import get_session
from sanquan.tables.models import ProgressReport, ProgressStatus
from sanquan.tables.service import get_plan, get_unit, unit_tasks
from sanquan.tables.units import MUNICIPAL
from sanquan.timeutil import to_beijing

PROGRESS_NAMES = {
    ProgressStatus.ON_TRACK: "按计划推进",
    ProgressStatus.BEHIND: "进度滞后",
    ProgressStatus.DONE: "已完成",
}
ITEM_STATUS_NAMES = {
    ItemStatus.OPEN: "待整改",
    ItemStatus.IN_PROGRESS: "整改中",
    ItemStatus.DONE: "已完成",
    ItemStatus.VERIFIED: "已核查",
}
SCORE_STATUS_NAMES = {ScoreStatus.DRAFT: "草稿", ScoreStatus.SUBMITTED: "已提交"}
ANONYMOUS_EXPERT = "专家(匿名)"
LEAD, PARTNER = "牵头", "参与"

T, LONG, NUM, INT = ColumnKind.TEXT, ColumnKind.LONG_TEXT, ColumnKind.NUMBER, ColumnKind.INTEGER
PROGRESS_COLUMNS = (
    Column("进展季度"),
    Column("进展状态"),
    Column("进展情况", LONG),
    Column("报告时间"),
)


def moment(value: datetime | None) -> str | None:
    """Beijing time to the minute, as the commission reads it."""
    return to_beijing(value).strftime("%Y-%m-%d %H:%M") if value else None


def _progress_cells(report: ProgressReport | None, quarter: Quarter) -> tuple[Cell, ...]:
    if report is None:
        return (str(quarter), "未报告", None, None)
    return (str(quarter), PROGRESS_NAMES[report.status], report.text, moment(report.reported_at))


def _reports(
    db: Session, task_ids: Iterable[int], quarter: Quarter
) -> dict[tuple[int, int], ProgressReport]:
    """(task, unit) → that unit's report on that task for ``quarter``, in one query."""
    rows = db.scalars(
        select(ProgressReport).where(
            ProgressReport.task_id.in_(list(task_ids)), ProgressReport.quarter == str(quarter)
        )
    )
    return {(r.task_id, r.unit_id): r for r in rows}


def plan_table(db: Session, plan_key: str, quarter: Quarter) -> Table:
    """The plan's "一张表": a row per task and responsible unit, lead first, with each
    unit's progress report for ``quarter`` (or 未报告)."""
    plan = get_plan(db, plan_key)
    reports = _reports(db, (t.id for t in plan.tasks), quarter)
    rows = [
        (
            task.number,
            task.section,
            task.title,
            assignment.unit.short_name,
            assignment.unit.full_name,
            LEAD if assignment.position == 0 else PARTNER,
            *_progress_cells(reports.get((task.id, assignment.unit_id)), quarter),
        )
        for task in plan.tasks
        for assignment in task.assignments
    ]
    columns = (
        Column("序号", INT),
        Column("部分"),
        Column("任务"),
        Column("责任单位"),
        Column("单位全称"),
        Column("分工"),
        *PROGRESS_COLUMNS,
    )
    document = plan.document or plan.key
    return Table(
        f"责任分工表 {document}",
        file_name("责任分工表", document, str(quarter)),
        ascii_name("responsibility", plan.key, str(quarter)),
        columns,
        rows,
    )


def unit_table(db: Session, unit_name: str, quarter: Quarter, owner: str = MUNICIPAL) -> Table:
    """One unit's tasks across every plan, with its part (lead or partner), the other
    units of each task, and its own progress report for ``quarter``. ``owner`` is the
    school whose unit is meant (a municipal unit when empty)."""
    unit = get_unit(db, unit_name, ("unit",), owner)
    tasks = unit_tasks(db, unit)
    reports = _reports(db, (t.id for t in tasks), quarter)
    rows = []
    for task in tasks:
        mine = next(a for a in task.assignments if a.unit_id == unit.id)
        others = [a.unit.short_name for a in task.assignments if a.unit_id != unit.id]
        rows.append(
            (
                task.plan.document or task.plan.key,
                task.number,
                task.title,
                LEAD if mine.position == 0 else PARTNER,
                task.assignments[0].unit.short_name,
                "、".join(others) or None,
                *_progress_cells(reports.get((task.id, unit.id)), quarter),
            )
        )
    columns = (
        Column("方案"),
        Column("序号", INT),
        Column("任务"),
        Column("分工"),
        Column("牵头单位"),
        Column("其他责任单位", LONG),
        *PROGRESS_COLUMNS,
    )
    return Table(
        f"{unit.short_name} 任务清单",
        file_name(unit.short_name, "任务清单", str(quarter)),
        ascii_name("unit-tasks", f"unit{unit.id}", str(quarter)),
        columns,
        rows,
    )


def score_sheet(db: Session, host: PluginHost, actor: Principal, session_id: int) -> Table:
    """Every score of the session the reader may see (R14), by institution, indicator and
    source. An expert's name is shown only to the commission and to that expert; other
    experts' rows carry no name and no time, and are ordered by content only (the same
    order as GraphQL's), so that nothing tells which scores came from the same expert."""
    session = get_session(db, session_id)
    if not visibility.may_read_scores(session, actor):
        raise Forbidden("导出本次点评的评分表")
    titles = indicator_titles(host, session)
    institutions = {m.institution_id: m.institution for m in session.members}
    experts = {m.account_id: m.account.name for m in session.panel}
    scores = list(db.scalars(visibility.visible_scores(session, actor)))

    def row(score: Score) -> tuple[Cell, ...]:
        subject = institutions[score.subject_id]
        named = visibility.may_see_reviewer(score, actor)
        if score.reviewer_institution_id is not None:
            reviewer = institutions[score.reviewer_institution_id].name
        elif named and score.reviewer_account_id is not None:
            reviewer = experts.get(score.reviewer_account_id, "")
        else:
            reviewer = ANONYMOUS_EXPERT
        return (
            subject.code,
            subject.name,
            score.indicator_code,
            titles.get(score.indicator_code, score.indicator_code),
            SOURCE_NAMES[score.source.value][0],
            reviewer,
            score.value,
            score.reported or None,
            score.comment or None,
            score.evidence or None,
            SCORE_STATUS_NAMES[score.status],
            moment(score.updated_at) if named else None,
        )

    columns = (
        Column("被评高校代码"),
        Column("被评高校"),
        Column("指标代码"),
        Column("指标"),
        Column("评价类型"),
        Column("评价方"),
        Column("分值", NUM),
        Column("报告数值或等级"),
        Column("意见", LONG),
        Column("佐证", LONG),
        Column("状态"),
        Column("更新时间"),
    )
    return Table(
        _session_title("评分表", session),
        file_name("评分表", f"点评会{session.id}", session.quarter),
        ascii_name("scores", f"session{session.id}", session.quarter),
        columns,
        [row(s) for s in sorted(scores, key=visibility.reading_order(session, actor, titles))],
    )


def results_sheet(db: Session, host: PluginHost, session_id: int) -> Table:
    """A concluded session's results (R16): a row per institution and indicator, in rank
    order, with the overall index repeated so that every row stands on its own."""
    session = get_session(db, session_id)
    results = session_results(db, host, session)
    if results is None:
        raise DomainError(ErrorCode.SESSION_NOT_CONCLUDED, ("sessionId",))
    ranked = sorted(results, key=lambda r: (r.rank is None, r.rank or 0))
    rows = [
        (
            result.rank,
            result.institution.code,
            result.institution.name,
            result.overall_index,
            indicator.indicator,
            indicator.title,
            indicator.self_value,
            indicator.peer_mean,
            indicator.expert_mean,
            indicator.combined,
            indicator.peer_count,
            indicator.expert_count,
        )
        for result in ranked
        for indicator in result.indicators
    ]
    columns = (
        Column("排名", INT),
        Column("高校代码"),
        Column("高校"),
        Column("综合指数", NUM),
        Column("指标代码"),
        Column("指标"),
        Column("自评", NUM),
        Column("互评均值", NUM),
        Column("专家均值", NUM),
        Column("综合", NUM),
        Column("互评份数", INT),
        Column("专家份数", INT),
    )
    return Table(
        _session_title("点评结果", session),
        file_name("点评结果", f"点评会{session.id}", session.quarter),
        ascii_name("results", f"session{session.id}", session.quarter),
        columns,
        rows,
    )


def rectification_list(
    db: Session,
    actor: Principal,
    *,
    current: Quarter,
    institution_code: str | None = None,
    status: ItemStatus | None = None,
    only_overdue: bool = False,
) -> Table:
    """Rectification items with their latest step: the commission and viewers see every
    school's, a school its own; experts and units have no list to export."""
    scope = reader_scope(actor)
    institution_id = scope
    if institution_code:
        institution_id = get_institution(db, institution_code, ("institutionCode",)).id
        if scope is not None and institution_id != scope:
            raise Forbidden("导出其他高校的整改清单")
    query = items_query(
        institution_id=institution_id, status=status, only_overdue=only_overdue, current=current
    )
    # Each row shows the item's latest note: load them all in one query, not one per item.
    items = list(db.scalars(query.order_by(Finding.id).options(selectinload(Finding.notes))))
    raised = {i.session_id for i in items}
    sessions = {
        s.id: s for s in db.scalars(select(ReviewSession).where(ReviewSession.id.in_(raised)))
    }
    rows = []
    for item in items:
        raised_in = sessions[item.session_id]
        last = item.notes[-1] if item.notes else None
        rows.append(
            (
                item.id,
                item.institution.code,
                item.institution.name,
                raised_in.quarter,
                raised_in.title or None,
                item.indicator_code,
                item.title,
                item.description or None,
                item.owner,
                item.due_quarter,
                ITEM_STATUS_NAMES[item.status or ItemStatus.OPEN],
                "是" if is_overdue(item, current) else "否",
                last.text if last else None,
                last.evidence or None if last else None,
                moment(last.written_at) if last else None,
                moment(item.verified_at),
            )
        )
    columns = (
        Column("编号", INT),
        Column("高校代码"),
        Column("高校"),
        Column("点评季度"),
        Column("点评会"),
        Column("指标代码"),
        Column("整改事项"),
        Column("问题描述", LONG),
        Column("校内责任部门或责任人"),
        Column("完成季度"),
        Column("状态"),
        Column("是否逾期"),
        Column("最新进展", LONG),
        Column("佐证", LONG),
        Column("进展时间"),
        Column("核查时间"),
    )
    return Table(
        "整改清单",
        file_name("整改清单", str(current)),
        ascii_name("rectification", str(current)),
        columns,
        rows,
    )


def _session_title(what: str, session: ReviewSession) -> str:
    """``评分表 2026Q3 高校“三全育人”季度点评``: the quarter once, even when the session's
    title already names it."""
    title = " ".join(session.title.replace(session.quarter, " ").split())
    return f"{what} {session.quarter} {title}".strip()
