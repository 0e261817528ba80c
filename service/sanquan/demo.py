"""Demo data: the Beijing pool, one account of each role, a concluded session and an open
one, scored through the same services a real client uses.

Scores are drawn from a seeded generator around a per-school "true" level, with the
self-evaluation a little generous, as it tends to be, so the results look like a real
quarter's rather than noise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import create_account, issue_token, principal_of
from sanquan.institutions.service import get_institution, load_beijing
from sanquan.plugins.host import PluginHost
from sanquan.quarter import Quarter
from sanquan.review.conclusion import conclude_session
from sanquan.review.models import ReviewSession
from sanquan.review.scoring import ScoreEntry, Submission, submit_scores
from sanquan.review.sessions import SessionSpec, appoint_experts, create_session, open_session
from sanquan.tables.service import import_plans
from sanquan.timeutil import beijing_today
from sanquan_sdk import IndicatorSet, Source

SET_KEY = "beijing-sanquan"

CONCLUDED_SESSION = ("4111010003", "4111010002", "4111010008", "4111010027", "4111010005")
"""清华大学, 中国人民大学, 北京科技大学 (the three national pilots), 北京师范大学, 北京工业大学."""
OPEN_SESSION = ("4111010001", "4111010006", "4111010030", "4111010025")
"""北京大学, 北京航空航天大学, 北京外国语大学, 首都医科大学."""

EXPERTS = (
    ("王建国(专家)", None),
    ("李敏(专家)", None),
    ("张卫东(专家)", None),
    ("刘芳(专家)", None),
    ("陈志强(专家)", None),
    ("杨晓梅(专家)", None),
    ("赵立新(专家,北京大学)", "4111010001"),
)


@dataclass
class DemoTokens:
    """The printed tokens, one account of each role."""

    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    sessions: list[int] = field(default_factory=list)


def load_demo(db: Session, host: PluginHost, seed: int = 2026) -> DemoTokens:
    indicator_set = host.indicator_set(SET_KEY)
    if indicator_set is None:
        raise RuntimeError(f"the {SET_KEY} plugin is not installed")
    rng = random.Random(seed)
    load_beijing(db)
    import_plans(db)
    demo = DemoTokens()

    def account(name: str, role: Role, code: str | None = None, unit: str | None = None) -> Account:
        return create_account(db, name=name, role=role, institution_code=code, unit_name=unit)

    admin = account("市委教育工委 管理员", Role.ADMIN)
    viewer = account("督导室 观察员", Role.VIEWER)
    unit = account("市教委 思政处", Role.UNIT, unit="市教委")
    experts = [account(name, Role.EXPERT, code) for name, code in EXPERTS]
    reps = {
        code: account(f"{get_institution(db, code).name} 评估联络人", Role.INSTITUTION, code)
        for code in CONCLUDED_SESSION + OPEN_SESSION
    }
    today = beijing_today()
    this_quarter = Quarter(today.year, (today.month - 1) // 3 + 1)

    done = _session(db, host, this_quarter.plus(-1), CONCLUDED_SESSION, experts, min_experts=5)
    levels = {code: rng.uniform(68, 88) for code in CONCLUDED_SESSION}
    _score_all(
        db, host, indicator_set, done, {c: reps[c] for c in CONCLUDED_SESSION}, experts, levels, rng
    )
    conclude_session(db, host, done.id)

    deadline = today + timedelta(days=30)
    running = _session(
        db,
        host,
        this_quarter,
        OPEN_SESSION,
        experts,
        min_experts=5,
        deadlines={
            Source.SELF: deadline,
            Source.PEER: deadline,
            Source.EXPERT: deadline + timedelta(days=14),
        },
    )
    levels = {code: rng.uniform(68, 88) for code in OPEN_SESSION}
    # Part of the way through: two self-evaluations, one school's peer reviews, two experts.
    _score_all(
        db,
        host,
        indicator_set,
        running,
        {code: reps[code] for code in OPEN_SESSION[1:3]},
        experts[:2],
        levels,
        rng,
    )
    db.flush()
    demo.sessions = [done.id, running.id]
    for role, holder in (
        ("ADMIN", admin),
        ("INSTITUTION", reps[OPEN_SESSION[0]]),
        ("EXPERT", experts[2]),
        ("UNIT", unit),
        ("VIEWER", viewer),
    ):
        demo.tokens[role] = (holder.name, issue_token(db, holder))
    return demo


def _session(
    db: Session,
    host: PluginHost,
    quarter: Quarter,
    codes: tuple[str, ...],
    experts: list[Account],
    *,
    min_experts: int,
    deadlines: dict[Source, date] | None = None,
) -> ReviewSession:
    session = create_session(
        db,
        host,
        SessionSpec(
            quarter=quarter,
            institution_codes=codes,
            indicator_set_key=SET_KEY,
            min_experts=min_experts,
            deadlines=deadlines or {},
        ),
        today=beijing_today(),
    )
    appoint_experts(db, session.id, [e.id for e in experts])
    return open_session(db, session.id)


def _score_all(
    db: Session,
    host: PluginHost,
    indicator_set: IndicatorSet,
    session: ReviewSession,
    reps: dict[str, Account],
    experts: list[Account],
    levels: dict[str, float],
    rng: random.Random,
) -> None:
    indicators = list(indicator_set.indicators)
    truth = {
        (code, i.code): min(97.0, max(50.0, level + rng.gauss(0, 6)))
        for code, level in levels.items()
        for i in indicators
    }

    def entries(code: str, source: Source, bias: float, noise: float) -> list[ScoreEntry]:
        return [
            ScoreEntry(
                indicator=i.code,
                value=round(
                    min(100.0, max(0.0, truth[(code, i.code)] + bias + rng.gauss(0, noise))) * 2
                )
                / 2,
                evidence=f"{i.code} 自评报告及佐证材料" if source in i.evidence_required else "",
            )
            for i in indicators
            if source in i.sources
        ]

    today = beijing_today()
    for code, rep in reps.items():
        actor = principal_of(rep)
        for subject in levels:
            source = Source.SELF if subject == code else Source.PEER
            bias = 5.0 if source is Source.SELF else 0.0
            submit_scores(
                db,
                host,
                actor,
                Submission(session.id, subject, source, entries(subject, source, bias, 3.0)),
                today=today,
            )
    for expert in experts:
        actor = principal_of(expert)
        for subject in levels:
            if expert.institution is not None and expert.institution.code == subject:
                continue
            submit_scores(
                db,
                host,
                actor,
                Submission(
                    session.id, subject, Source.EXPERT, entries(subject, Source.EXPERT, -1.0, 4.0)
                ),
                today=today,
            )
