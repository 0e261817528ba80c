"""The demo's past: concluded sessions in the quarters before this one, the findings the
commission raised on them from the diagnosis drafts, and how far each school has got with
its rectification items, so that some are done, some verified and some overdue."""

from __future__ import annotations

from dataclasses import dataclass

from sanquan.auth.models import Account
from sanquan.auth.tokens import principal_of
from sanquan.demo.scoring import Scorer
from sanquan.findings.models import Finding, FindingKind, ItemStatus
from sanquan.findings.service import (
    DraftBatch,
    DraftChoice,
    raise_drafts,
    report_progress,
    session_drafts,
    verify_item,
)
from sanquan.quarter import Quarter
from sanquan.review.conclusion import conclude_session
from sanquan.review.models import ReviewSession


@dataclass(frozen=True)
class PastSession:
    """A concluded session ``ago`` quarters before the current one."""

    ago: int
    codes: tuple[str, ...]


EARLIER_SESSIONS = (
    PastSession(4, ("4111010004", "4111010007", "4111010010", "4111010013")),
    PastSession(3, ("4111010019", "4111010022", "4111010028", "4111010032", "4111010034")),
    PastSession(2, ("4111010011", "4111010016", "4111010026", "4111010033")),
    PastSession(1, ("4111010036", "4111010038", "4111010031")),
)
"""Besides session 1, the end of the previous cycle: 北京交通大学, 北京理工大学, 北京化工大学,
北京邮电大学; 中国农业大学, 北京林业大学, 首都师范大学, 北京语言大学, 中央财经大学;
北京工商大学, 北京建筑大学, 北京中医药大学, 中国传媒大学; 对外经济贸易大学, 首都经济贸易大学,
北京第二外国语学院 (a second session in the last quarter)."""

OWNERS = ("党委学生工作部", "教务处", "党委宣传部", "党委教师工作部", "马克思主义学院")
"""Who in a school answers for a rectification item, taken in turn."""


def conclude(
    scorer: Scorer,
    session: ReviewSession,
    codes: tuple[str, ...],
    reps: dict[str, Account],
    experts: list[Account],
) -> None:
    """Every score of a session, then its conclusion."""
    scorer.score(session, codes, {code: reps[code] for code in codes}, experts)
    conclude_session(scorer.db, scorer.host, session.id)


def raise_findings(
    scorer: Scorer, admin: Account, session: ReviewSession, quarter: Quarter
) -> list[Finding]:
    """The commission's findings on a concluded session, raised when it concluded: for each
    school, its first highlight and first two rectification drafts, due a quarter or two
    later."""
    raised: list[Finding] = []
    drafts = session_drafts(scorer.db, scorer.host, session)
    for member in session.members:
        mine = [d for d in drafts if d.institution_id == member.institution_id]
        highlights = [d for d in mine if d.kind is FindingKind.HIGHLIGHT][:1]
        items = [d for d in mine if d.kind is FindingKind.RECTIFICATION][:2]
        choices = [DraftChoice(FindingKind.HIGHLIGHT, d.indicator) for d in highlights] + [
            DraftChoice(
                FindingKind.RECTIFICATION,
                d.indicator,
                owner=OWNERS[(member.institution_id + n) % len(OWNERS)],
                due_quarter=quarter.plus(1 + n),
            )
            for n, d in enumerate(items)
        ]
        if choices:
            batch = DraftBatch(session.id, member.institution.code, choices)
            raised += raise_drafts(
                scorer.db, scorer.host, principal_of(admin), batch, current=quarter
            )
    return raised


def report_on_items(
    scorer: Scorer, admin: Account, reps: dict[str, Account], findings: list[Finding]
) -> None:
    """The schools' progress, item by item in turn: nothing reported yet, under way, done,
    done and verified by the commission. An item past due and not done is overdue."""
    items = [f for f in findings if f.kind is FindingKind.RECTIFICATION]
    for n, item in enumerate(items):
        stage = n % 4
        school = principal_of(reps[item.institution.code])
        if stage >= 1:
            report_progress(
                scorer.db, school, item.id, "已制定整改方案,正在推进", "", ItemStatus.IN_PROGRESS
            )
        if stage >= 2:
            evidence = f"{item.title} 整改报告"
            report_progress(
                scorer.db, school, item.id, "整改已完成,附整改报告", evidence, ItemStatus.DONE
            )
        if stage == 3:
            verify_item(scorer.db, principal_of(admin), item.id, None, "已现场核查,整改到位")
