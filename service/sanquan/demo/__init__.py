"""Demo data with a history: the Beijing pool and both shipped responsibility tables, an
account of each role, a year of concluded sessions with their findings and the schools'
progress on them, an open session this quarter, the current cycle's rotation adopted, and
the units' progress reports; everything made through the services a real client uses,
from a seeded generator, so that every load is the same.

Session 1 (last quarter, concluded) and session 2 (this quarter, open, with 北京大学) come
first, as the README's examples use them; the earlier sessions follow, then the sessions
the rotation creates.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import create_account, issue_token, principal_of
from sanquan.demo.history import EARLIER_SESSIONS, conclude, raise_findings, report_on_items
from sanquan.demo.reports import report_on_plan
from sanquan.demo.scoring import SET_KEY, Scorer
from sanquan.institutions.service import get_institution, load_beijing
from sanquan.plugins.host import PluginHost
from sanquan.rotation.service import PlanOptions, adopt, make_draft
from sanquan.tables.service import import_plans
from sanquan.timeutil import beijing_today, current_quarter
from sanquan_sdk import Source

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
    """The printed tokens, one account of each role, and the sessions by state."""

    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    concluded: list[int] = field(default_factory=list)
    open: list[int] = field(default_factory=list)
    planned: int = 0
    """Sessions the adopted rotation created, not yet opened."""


def load_demo(db: Session, host: PluginHost, seed: int = 2026) -> DemoTokens:
    indicator_set = host.indicator_set(SET_KEY)
    if indicator_set is None:
        raise RuntimeError(f"the {SET_KEY} plugin is not installed")
    rng = random.Random(seed)
    scorer = Scorer(db, host, indicator_set, rng)
    load_beijing(db)
    import_plans(db)
    demo = DemoTokens()

    def account(name: str, role: Role, code: str | None = None, unit: str | None = None) -> Account:
        return create_account(db, name=name, role=role, institution_code=code, unit_name=unit)

    admin = account("市委教育工委 管理员", Role.ADMIN)
    viewer = account("督导室 观察员", Role.VIEWER)
    unit = account("市教委 思政处", Role.UNIT, unit="市教委")
    experts = [account(name, Role.EXPERT, code) for name, code in EXPERTS]
    earlier = [code for past in EARLIER_SESSIONS for code in past.codes]
    reps = {
        code: account(f"{get_institution(db, code).name} 评估联络人", Role.INSTITUTION, code)
        for code in (*CONCLUDED_SESSION, *OPEN_SESSION, *earlier)
    }
    today = beijing_today()
    this_quarter = current_quarter()

    last_quarter = this_quarter.plus(-1)
    done = scorer.open(last_quarter, CONCLUDED_SESSION, experts)
    conclude(scorer, done, CONCLUDED_SESSION, reps, experts)

    deadline = today + timedelta(days=30)
    running = scorer.open(
        this_quarter,
        OPEN_SESSION,
        experts,
        deadlines={
            Source.SELF: deadline,
            Source.PEER: deadline,
            Source.EXPERT: deadline + timedelta(days=14),
        },
    )
    # Part of the way through: two self-evaluations, one school's peer reviews, two experts.
    scorer.score(running, OPEN_SESSION, {c: reps[c] for c in OPEN_SESSION[1:3]}, experts[:2])

    findings = []
    history = [(past.ago, past.codes) for past in EARLIER_SESSIONS]
    for ago, codes in sorted(history, reverse=True):
        session = scorer.open(this_quarter.plus(-ago), codes, experts)
        conclude(scorer, session, codes, reps, experts)
        findings += raise_findings(scorer, admin, session, this_quarter.plus(-ago))
        demo.concluded.append(session.id)
    findings += raise_findings(scorer, admin, done, last_quarter)
    report_on_items(scorer, admin, reps, findings)

    cycle = make_draft(db, host, principal_of(admin), PlanOptions(start=this_quarter))
    demo.planned = len(adopt(db, host, cycle.id))
    report_on_plan(db, rng, (last_quarter, this_quarter), unit)
    db.flush()
    demo.concluded.insert(0, done.id)
    demo.open = [running.id]
    for role, holder in (
        ("ADMIN", admin),
        ("INSTITUTION", reps[OPEN_SESSION[0]]),
        ("EXPERT", experts[2]),
        ("UNIT", unit),
        ("VIEWER", viewer),
    ):
        demo.tokens[role] = (holder.name, issue_token(db, holder))
    return demo
