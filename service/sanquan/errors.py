"""Domain errors and their messages: one catalogue, Chinese by default, English on request.

Services raise :class:`DomainError` (or :class:`DomainErrors` for several at once); the API
layer turns them into typed ``userErrors`` in one place. A message template names its
parameters, so the wording can change without touching the code that raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

FieldPath = tuple[str | int, ...]


class ErrorCode(StrEnum):
    """Stable machine codes; clients may switch on these, so never rename one. Each member
    carries a description for the schema beside its value."""

    description: str

    def __new__(cls, value: str, description: str) -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    INVALID_VALUE = (
        "INVALID_VALUE",
        "An input value is out of its bounds (length, count, range) or holds a control "
        "character or lone surrogate; `field` is its path.",
    )
    INVALID_QUARTER = (
        "INVALID_QUARTER",
        "Not a quarter (季度): write the year, Q and 1–4, e.g. 2027Q1.",
    )
    INVALID_INSTITUTION_CODE = (
        "INVALID_INSTITUTION_CODE",
        "Not a valid institution code (学校标识码): 10 digits, starting with 41 and a province "
        "code.",
    )
    UNKNOWN_INSTITUTION = "UNKNOWN_INSTITUTION", "No institution (高校) has this code."
    DUPLICATE_INSTITUTION = "DUPLICATE_INSTITUTION", "Another institution already uses this code."
    INSTITUTION_IN_USE = (
        "INSTITUTION_IN_USE",
        "The institution has taken part in reviews, so it cannot be deleted; deactivate it "
        "(active: false) instead.",
    )
    INACTIVE_INSTITUTION = (
        "INACTIVE_INSTITUTION",
        "The institution is inactive and cannot be put into a review session.",
    )
    CSV_INVALID = (
        "CSV_INVALID",
        "A line of the imported CSV is malformed; the message names the line and nothing was "
        "imported.",
    )
    SESSION_SIZE = "SESSION_SIZE", "A review session (点评工作会) takes 3–5 institutions."
    DUPLICATE_IN_SESSION = (
        "DUPLICATE_IN_SESSION",
        "The same institution is listed twice for one session.",
    )
    UNKNOWN_INDICATOR_SET = (
        "UNKNOWN_INDICATOR_SET",
        "No installed plugin provides this indicator set (指标体系) key and version.",
    )
    UNKNOWN_SESSION = (
        "UNKNOWN_SESSION",
        "No review session has this id, or the caller may not see it.",
    )
    UNKNOWN_EXPERT = "UNKNOWN_EXPERT", "The account is not an active expert (专家) account."
    PANEL_TOO_SMALL = (
        "PANEL_TOO_SMALL",
        "For some institution, the panel has fewer active experts without a conflict of "
        "interest than the session's minimum (R11).",
    )
    EXPERT_HAS_SCORES = (
        "EXPERT_HAS_SCORES",
        "The expert has already scored in the session and cannot leave its panel.",
    )
    DEADLINE_IN_PAST = "DEADLINE_IN_PAST", "A deadline is before today (Beijing time)."
    SESSION_NOT_DRAFT = (
        "SESSION_NOT_DRAFT",
        "The session has been opened already; only a draft session can be changed or opened.",
    )
    SESSION_NOT_OPEN = "SESSION_NOT_OPEN", "The session is not open for scoring yet."
    SESSION_CONCLUDED = (
        "SESSION_CONCLUDED",
        "The session is concluded and its scores are locked; an ADMIN may correct one with "
        "correctScore.",
    )
    SESSION_NOT_CONCLUDED = "SESSION_NOT_CONCLUDED", "The action needs a concluded session."
    NOT_A_REVIEWER = (
        "NOT_A_REVIEWER",
        "The caller is no reviewer of the session: not one of its schools, nor on its panel.",
    )
    NOT_IN_SESSION = "NOT_IN_SESSION", "The institution is not under review in this session."
    PEER_OWN_SCHOOL = (
        "PEER_OWN_SCHOOL",
        "A peer evaluation (同行互评) cannot score the reviewer's own school.",
    )
    SELF_OTHER_SCHOOL = (
        "SELF_OTHER_SCHOOL",
        "A self-evaluation (学校自评) can only score the reviewer's own school.",
    )
    CONFLICT_OF_INTEREST = (
        "CONFLICT_OF_INTEREST",
        "The expert is affiliated with the institution and may not score it (利益冲突).",
    )
    DEADLINE_PASSED = "DEADLINE_PASSED", "The deadline of this score source has passed."
    EMPTY_SUBMISSION = "EMPTY_SUBMISSION", "The submission holds no scores."
    TOO_MANY_SCORES = (
        "TOO_MANY_SCORES",
        "The submission holds more scores than the service's configured maximum.",
    )
    DUPLICATE_INDICATOR = (
        "DUPLICATE_INDICATOR",
        "One indicator is scored twice in the same submission.",
    )
    UNKNOWN_INDICATOR = (
        "UNKNOWN_INDICATOR",
        "The session's indicator set has no indicator with this code.",
    )
    SOURCE_NOT_ALLOWED = "SOURCE_NOT_ALLOWED", "The indicator takes no scores from this source."
    OUT_OF_SCALE = "OUT_OF_SCALE", "The value lies outside the indicator's scale."
    WRONG_INPUT = (
        "WRONG_INPUT",
        "The indicator takes another input: a `value` (NUMERIC), a `level` (LEVELS) or a "
        "`figure` (TARGET).",
    )
    UNKNOWN_LEVEL = (
        "UNKNOWN_LEVEL",
        "The level code is not one of the indicator's levels; the message lists them.",
    )
    INVALID_FIGURE = "INVALID_FIGURE", "A target's reported figure must be a number of at least 0."
    EVIDENCE_REQUIRED = (
        "EVIDENCE_REQUIRED",
        "The indicator needs evidence for scores from this source.",
    )
    PLUGIN_RULE = (
        "PLUGIN_RULE",
        "A rule of the indicator set's plugin refused the input; the message names the plugin"
        " and says why, and `pluginCode` is the plugin's own code for the rule.",
    )
    PLUGIN_FAILED = (
        "PLUGIN_FAILED",
        "The indicator set's plugin failed; nothing was stored (the message names the plugin "
        "and what was left undone).",
    )
    ALREADY_SUBMITTED = "ALREADY_SUBMITTED", "A submitted score cannot become a draft again."
    INCOMPLETE = (
        "INCOMPLETE",
        "The session cannot conclude yet; the message lists the missing evaluations (R15).",
    )
    UNKNOWN_SCORE = (
        "UNKNOWN_SCORE",
        "No score has this id, or the caller may not see it (a blind id is accepted by no "
        "mutation).",
    )
    REASON_REQUIRED = "REASON_REQUIRED", "Correcting a concluded session's score needs a reason."
    ROTATION_INFEASIBLE = (
        "ROTATION_INFEASIBLE",
        "No rotation plan satisfies the request; the message explains why and the payload's "
        "`conflicts` name the rules.",
    )
    UNKNOWN_PLAN = "UNKNOWN_PLAN", "No rotation plan (轮转计划) has this id."
    PLAN_NOT_DRAFT = (
        "PLAN_NOT_DRAFT",
        "The plan was adopted or superseded; only a draft can be adopted.",
    )
    PLAN_STALE = (
        "PLAN_STALE",
        "The schedule changed since the plan was made (a session started or was scored); plan"
        " again.",
    )
    DUE_IN_PAST = "DUE_IN_PAST", "A rectification item's due quarter has passed."
    UNKNOWN_FINDING = "UNKNOWN_FINDING", "No finding has this id, or it belongs to another school."
    NOT_A_RECTIFICATION_ITEM = (
        "NOT_A_RECTIFICATION_ITEM",
        "The finding is a highlight (亮点), not a rectification item (整改事项), so it is not "
        "tracked.",
    )
    NOT_YOUR_SCHOOL = (
        "NOT_YOUR_SCHOOL",
        "A school reports progress only on its own rectification items.",
    )
    INVALID_TRANSITION = (
        "INVALID_TRANSITION",
        "A rectification item cannot move from its current status to the one asked for.",
    )
    NOT_DONE = "NOT_DONE", "Only a rectification item that is DONE can be verified."
    NOT_A_LATER_REVIEW = (
        "NOT_A_LATER_REVIEW",
        "Verification needs a later review session of the same school.",
    )
    NOT_A_DRAFT = (
        "NOT_A_DRAFT",
        "The session's diagnosis gives no draft of this kind for this indicator.",
    )
    DRAFT_ALREADY_RAISED = "DRAFT_ALREADY_RAISED", "The draft was already raised as a finding."
    UNKNOWN_UNITS = (
        "UNKNOWN_UNITS",
        "A plan's units are not known, so nothing was imported; the message lists their names.",
    )
    UNKNOWN_UNIT = "UNKNOWN_UNIT", "No responsible unit (责任单位) has this name for this owner."
    UNKNOWN_WORK_PLAN = (
        "UNKNOWN_WORK_PLAN",
        "No work plan has this key; the message lists the known ones.",
    )
    UNKNOWN_TASK = "UNKNOWN_TASK", "The plan has no task with this number."
    NOT_YOUR_TASK = (
        "NOT_YOUR_TASK",
        "A unit reports progress only on the tasks it is responsible for.",
    )
    UNKNOWN_EXPORT_LINK = "UNKNOWN_EXPORT_LINK", "No such download link; ask for a new one."
    UNKNOWN_ACCOUNT = "UNKNOWN_ACCOUNT", "No account has this id."
    OWN_ACCOUNT = "OWN_ACCOUNT", "An administrator cannot deactivate their own account."
    EXPORT_LINK_EXPIRED = "EXPORT_LINK_EXPIRED", "The download link has expired; ask for a new one."
    QUARTER_OUT_OF_RANGE = (
        "QUARTER_OUT_OF_RANGE",
        "The quarter lies outside the window this input accepts; the message gives it.",
    )
    DEADLINE_TOO_LATE = (
        "DEADLINE_TOO_LATE",
        "A deadline lies beyond the session's quarter's allowed range; the message gives the "
        "latest.",
    )
    ALREADY_IN_SESSION = (
        "ALREADY_IN_SESSION",
        "The institution is already in another session of the quarter: one review per school "
        "and quarter.",
    )


# code -> (zh-CN, en); parameters in braces.
MESSAGES: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.INVALID_VALUE: ("{field}:{problem}", "{field}: {problem}"),
    ErrorCode.INVALID_QUARTER: (
        "“{value}”不是有效的季度,应写作年份加 Q1–Q4,例如 2027Q1",
        "{value!r} is not a quarter; write the year and quarter, e.g. 2027Q1",
    ),
    ErrorCode.INVALID_INSTITUTION_CODE: (
        "学校标识码“{value}”无效:应为 10 位数字,以 41 开头,第 3–4 位为省级行政区代码",
        "institution code {value!r} is invalid: 10 digits, starting with 41 and a province code",
    ),
    ErrorCode.UNKNOWN_INSTITUTION: (
        "没有学校标识码为“{value}”的高校",
        "no institution has the code {value!r}",
    ),
    ErrorCode.DUPLICATE_INSTITUTION: (
        "学校标识码“{value}”已被“{name}”使用",
        "institution code {value!r} is already used by {name}",
    ),
    ErrorCode.INSTITUTION_IN_USE: (
        "“{name}”已参加过点评,不能删除;请改为停用(active=false)",
        "{name} has taken part in reviews and cannot be deleted; deactivate it instead",
    ),
    ErrorCode.INACTIVE_INSTITUTION: (
        "“{name}”已停用,不能安排点评",
        "{name} is inactive and cannot be reviewed",
    ),
    ErrorCode.CSV_INVALID: ("CSV 第 {line} 行:{problem}", "CSV line {line}: {problem}"),
    ErrorCode.SESSION_SIZE: (
        "每次点评工作会须有 {minimum}–{maximum} 所高校,收到 {count} 所",
        "a review session takes {minimum}–{maximum} institutions; got {count}",
    ),
    ErrorCode.DUPLICATE_IN_SESSION: (
        "“{value}”在同一次点评中出现了不止一次",
        "{value!r} appears more than once in the session",
    ),
    ErrorCode.UNKNOWN_INDICATOR_SET: (
        "未安装指标体系“{key}”{version}",
        "indicator set {key!r} {version} is not installed",
    ),
    ErrorCode.UNKNOWN_SESSION: ("没有这个点评工作会", "no such review session"),
    ErrorCode.UNKNOWN_EXPERT: ("没有这个专家账号", "no such expert account"),
    ErrorCode.PANEL_TOO_SMALL: (
        "专家组对“{name}”只有 {eligible} 位在用且无利益冲突的专家,至少需要 {minimum} 位",
        "the panel has only {eligible} active experts without a conflict of interest for "
        "{name}; at least {minimum} are needed",
    ),
    ErrorCode.EXPERT_HAS_SCORES: (
        "专家“{name}”已经评分,不能移出专家组",
        "expert {name} has already scored and cannot leave the panel",
    ),
    ErrorCode.DEADLINE_IN_PAST: (
        "截止日期 {value} 已经过去(今天是北京时间 {today})",
        "deadline {value} is in the past (today is {today} in Beijing)",
    ),
    ErrorCode.SESSION_NOT_DRAFT: (
        "点评工作会已{status},不能再次开始",
        "the review session is already {status}",
    ),
    ErrorCode.SESSION_NOT_OPEN: (
        "点评工作会尚未开始,还不能评分",
        "the review session is not open for scoring yet",
    ),
    ErrorCode.SESSION_CONCLUDED: (
        "点评工作会已结束,评分已锁定",
        "the review session is concluded; its scores are locked",
    ),
    ErrorCode.SESSION_NOT_CONCLUDED: (
        "点评工作会尚未结束",
        "the review session is not concluded",
    ),
    ErrorCode.NOT_A_REVIEWER: (
        "您不是本次点评工作会的评审方",
        "you are not a reviewer of this review session",
    ),
    ErrorCode.NOT_IN_SESSION: (
        "“{value}”不在本次点评工作会中",
        "{value!r} is not part of this review session",
    ),
    ErrorCode.PEER_OWN_SCHOOL: (
        "同行互评不能评本校",
        "a peer evaluation cannot score its own school",
    ),
    ErrorCode.SELF_OTHER_SCHOOL: (
        "学校自评只能评本校",
        "a self-evaluation can only score one's own school",
    ),
    ErrorCode.CONFLICT_OF_INTEREST: (
        "专家与“{name}”存在利益冲突(所属单位),不能为其评分",
        "the expert is affiliated with {name} and may not score it (conflict of interest)",
    ),
    ErrorCode.DEADLINE_PASSED: (
        "{source}评分截止日期 {deadline} 已过",
        "the {source} deadline {deadline} has passed",
    ),
    ErrorCode.EMPTY_SUBMISSION: ("没有提交任何评分", "the submission holds no scores"),
    ErrorCode.TOO_MANY_SCORES: (
        "一次最多提交 {maximum} 项评分",
        "at most {maximum} scores per submission",
    ),
    ErrorCode.DUPLICATE_INDICATOR: (
        "指标 {value} 在同一次提交中出现了不止一次",
        "indicator {value} appears more than once in the submission",
    ),
    ErrorCode.UNKNOWN_INDICATOR: (
        "“{value}”不是指标体系 {key} {version} 的指标",
        "{value!r} is not an indicator of {key} {version}",
    ),
    ErrorCode.SOURCE_NOT_ALLOWED: (
        "指标 {value} 不接受{source}评分",
        "indicator {value} does not take {source} scores",
    ),
    ErrorCode.OUT_OF_SCALE: (
        "指标 {indicator} 的分值 {value} 超出范围 {minimum}–{maximum}",
        "value {value} of indicator {indicator} is outside {minimum}–{maximum}",
    ),
    ErrorCode.WRONG_INPUT: (
        "指标 {indicator} 应填写{kind}",
        "indicator {indicator} takes {kind}",
    ),
    ErrorCode.UNKNOWN_LEVEL: (
        "“{value}”不是指标 {indicator} 的等级,可选:{levels}",
        "{value!r} is not a level of indicator {indicator}; use {levels}",
    ),
    ErrorCode.INVALID_FIGURE: (
        "指标 {indicator} 的实际数值应为不小于 0 的数",
        "the figure of indicator {indicator} must be a number ≥ 0",
    ),
    ErrorCode.EVIDENCE_REQUIRED: (
        "指标 {value} 的{source}评分须附佐证材料",
        "indicator {value} needs evidence for {source} scores",
    ),
    ErrorCode.PLUGIN_RULE: ("插件 {plugin}:{problem}", "plugin {plugin}: {problem}"),
    ErrorCode.PLUGIN_FAILED: (
        "插件 {plugin} 出错,{consequence}",
        "plugin {plugin} failed; {consequence}",
    ),
    ErrorCode.ALREADY_SUBMITTED: (
        "指标 {value} 的评分已正式提交,不能改回草稿",
        "the score of indicator {value} is submitted and cannot become a draft again",
    ),
    ErrorCode.INCOMPLETE: ("{what}", "{what}"),
    ErrorCode.UNKNOWN_SCORE: ("没有这条评分", "no such score"),
    ErrorCode.REASON_REQUIRED: (
        "修改已结束点评的评分须说明理由",
        "correcting a concluded session's score needs a reason",
    ),
    ErrorCode.ROTATION_INFEASIBLE: ("{explanation}", "{explanation}"),
    ErrorCode.UNKNOWN_PLAN: ("没有这个轮转计划", "no such rotation plan"),
    ErrorCode.PLAN_NOT_DRAFT: (
        "该计划已{status},只能采用草稿",
        "the plan is {status}; only a draft can be adopted",
    ),
    ErrorCode.PLAN_STALE: (
        "制定该计划后日程已有变化(有点评会已开始或已评分),请重新规划",
        "the schedule changed since this plan was made (a session started or was scored); "
        "plan again",
    ),
    ErrorCode.DUE_IN_PAST: (
        "完成季度 {value} 已经过去(本季度为 {current})",
        "the due quarter {value} has passed (this quarter is {current})",
    ),
    ErrorCode.UNKNOWN_FINDING: ("没有这条点评发现", "no such finding"),
    ErrorCode.NOT_A_RECTIFICATION_ITEM: (
        "这是一条亮点,不是整改事项,无需跟踪",
        "this is a highlight, not a rectification item; it is not tracked",
    ),
    ErrorCode.NOT_YOUR_SCHOOL: (
        "只能报告本校整改事项的进展",
        "you can report progress only on your own school's items",
    ),
    ErrorCode.INVALID_TRANSITION: (
        "整改事项不能从 {current} 改为 {wanted}",
        "a rectification item cannot go from {current} to {wanted}",
    ),
    ErrorCode.NOT_DONE: (
        "整改事项尚未完成(当前为 {status}),不能核查通过",
        "the item is not done (it is {status}); it cannot be verified",
    ),
    ErrorCode.NOT_A_LATER_REVIEW: (
        "核查须在该校此后的一次点评中进行",
        "verification needs a later review session of the same school",
    ),
    ErrorCode.NOT_A_DRAFT: (
        "本次点评的诊断没有给出指标 {indicator} 的{kind}草稿"
        "(草稿只来自诊断中的亮点、不足和自评偏高)",
        "the session's diagnosis gives no {kind} draft for indicator {indicator} (drafts come "
        "only from its highlights, weaknesses and over-rated self-evaluations)",
    ),
    ErrorCode.DRAFT_ALREADY_RAISED: (
        "指标 {indicator} 的{kind}草稿已提出为点评发现 {finding},不能重复提出",
        "the {kind} draft for indicator {indicator} was already raised as finding {finding}",
    ),
    ErrorCode.UNKNOWN_UNITS: (
        "以下责任单位名称无法识别,未导入任何内容:{names}",
        "these unit names are not known, so nothing was imported: {names}",
    ),
    ErrorCode.UNKNOWN_UNIT: ("没有名为“{value}”的责任单位", "no responsible unit {value!r}"),
    ErrorCode.UNKNOWN_WORK_PLAN: (
        "没有代号为“{value}”的方案;现有:{known}",
        "no plan {value!r}; there are: {known}",
    ),
    ErrorCode.UNKNOWN_TASK: ("方案中没有第 {value} 项任务", "the plan has no task {value}"),
    ErrorCode.NOT_YOUR_TASK: (
        "只能报告本单位负责的任务的进展",
        "a unit reports progress only on the tasks it is responsible for",
    ),
    ErrorCode.UNKNOWN_ACCOUNT: ("没有这个账号", "no such account"),
    ErrorCode.OWN_ACCOUNT: (
        "不能停用自己的账号:请由另一名管理员操作",
        "you cannot deactivate your own account; ask another administrator",
    ),
    ErrorCode.UNKNOWN_EXPORT_LINK: (
        "下载链接无效:请重新生成",
        "no such download link; ask for a new one",
    ),
    ErrorCode.EXPORT_LINK_EXPIRED: (
        "下载链接已于 {expired} 过期:请重新生成",
        "the download link expired at {expired}; ask for a new one",
    ),
    ErrorCode.QUARTER_OUT_OF_RANGE: (
        "季度 {value} 超出可安排的范围 {first}–{last}",
        "quarter {value} is outside the range {first}–{last}",
    ),
    ErrorCode.DEADLINE_TOO_LATE: (
        "截止日期 {value} 太晚:点评工作会在 {quarter},截止日期最晚为 {latest}",
        "deadline {value} is too late: the session is in {quarter}, so {latest} at the latest",
    ),
    ErrorCode.ALREADY_IN_SESSION: (
        "“{name}”已在 {quarter} 的点评工作会“{session}”(编号 {session_id})中,"
        "每所高校每季度只参加一次点评",
        "{name} is already in the {quarter} session {session!r} (id {session_id}); "
        "a school is reviewed at most once a quarter",
    ),
}

SOURCE_NAMES: dict[str, tuple[str, str]] = {
    "SELF": ("学校自评", "self-evaluation"),
    "PEER": ("同行互评", "peer"),
    "EXPERT": ("专家点评", "expert"),
}


@dataclass(frozen=True)
class Localized:
    """A message parameter that is itself worded per language."""

    zh: str
    en: str

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.zh


# What a plugin's failure left undone (PLUGIN_FAILED's {consequence}): a reviewer must know
# to submit again, an administrator that the session is still open and can be concluded later.
SUBMISSION_NOT_STORED = Localized("本次提交未保存", "nothing was stored")
CONCLUSION_NOT_DONE = Localized(
    "点评工作会未能结束:评分和结果均未改动,会议仍在进行",
    "the session was not concluded: nothing changed and it stays open",
)
CORRECTION_NOT_STORED = Localized(
    "更正未保存,结果未改动", "the correction was not stored; the results are unchanged"
)

PLUGIN_CONFLICT = Localized(
    "指标体系 {key} {version} 同时由插件 {first} 和 {second} 提供,"
    "无法确定点评应按哪一个评分:请卸载其中一个插件",
    "indicator set {key} {version} is offered by both {first} and {second}, so which one a "
    "session scores against cannot be told: uninstall one of them",
)
"""Not a user error of the API: the command line's reason for refusing to start."""


class DomainError(Exception):
    """A rule of the domain said no. ``field`` is the input path at fault."""

    def __init__(self, code: ErrorCode, field: Sequence[str | int] = (), /, **params: Any) -> None:
        super().__init__(code.value)
        self.code = code
        self.field: FieldPath = tuple(field)
        self.params = params

    def message(self, language: str = "zh") -> str:
        return render(self.code, self.params, language)


class AccessError(Exception):
    """The caller may not do or see ``what``: a GraphQL error with ``code``, an HTTP 403
    on plain routes. Raised by resolvers and by services whose rule is who may read."""

    code = "FORBIDDEN"
    messages = ("您无权执行此操作:{what}", "you are not allowed to {what}")

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what

    def message(self, language: str = "zh") -> str:
        zh, en = self.messages
        return (en if language == "en" else zh).format(what=self.what)


class Forbidden(AccessError):
    pass


class DomainErrors(Exception):
    """Several domain errors found together; the request they belong to changed nothing."""

    def __init__(self, errors: Iterable[DomainError]) -> None:
        self.errors = list(errors)
        super().__init__(", ".join(e.code for e in self.errors))


def invalid(path: Sequence[str | int], zh: str, en: str) -> DomainError:
    """An ``INVALID_VALUE`` error for the field at ``path``, worded in both languages."""
    return invalid_value(path, Localized(zh, en))


def invalid_value(path: Sequence[str | int], problem: Localized) -> DomainError:
    """An ``INVALID_VALUE`` error for the field at ``path`` with ``problem`` worded."""
    return DomainError(
        ErrorCode.INVALID_VALUE, path, field=".".join(str(p) for p in path), problem=problem
    )


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LONE_SURROGATES = re.compile(r"[\ud800-\udfff]")
"""Half of a UTF-16 pair: JSON can carry one, but it is no character and UTF-8 (every
database and every response) cannot encode it."""


def text_problem(text: str, max_length: int | None) -> Localized | None:
    """What is wrong with ``text`` as an input, or ``None``: a lone surrogate, a control
    character other than tab and line breaks (no one types them; NUL is refused by
    PostgreSQL, the others break the XML of an Excel export), or more than ``max_length``
    characters."""
    if LONE_SURROGATES.search(text):
        return Localized(
            "含有无效的字符(孤立的 UTF-16 代理项),请删除后重新提交",
            "contains an invalid character (a lone UTF-16 surrogate); remove it and try again",
        )
    if CONTROL_CHARACTERS.search(text):
        return Localized(
            "含有不可见的控制字符,请删除后重新提交",
            "contains invisible control characters; remove them and try again",
        )
    if max_length is not None and len(text) > max_length:
        return Localized(
            f"最多 {max_length:,} 个字符,收到 {len(text):,} 个",
            f"at most {max_length:,} characters; got {len(text):,}",
        )
    return None


def clean_text(
    value: str, path: Sequence[str | int], max_length: int, *, required: bool = False
) -> str:
    """``value`` stripped, or an error naming the field when it is empty (if required) or
    has a :func:`text_problem`."""
    text = value.strip()
    if required and not text:
        raise invalid(path, "不能为空", "must not be empty")
    problem = text_problem(text, max_length)
    if problem is not None:
        raise invalid_value(path, problem)
    return text


def raise_all(errors: Sequence[DomainError]) -> None:
    """Raise ``errors`` together, if there are any."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DomainErrors(errors)


def render(code: ErrorCode, params: dict[str, Any], language: str = "zh") -> str:
    zh, en = MESSAGES[code]
    english = language == "en"
    values = {
        k: v.text(language) if isinstance(v, Localized) else _printable(v)
        for k, v in params.items()
    }
    if "source" in values:
        names = SOURCE_NAMES.get(str(values["source"]))
        if names:
            values["source"] = names[1] if english else names[0]
    try:
        return (en if english else zh).format(**values)
    except (KeyError, IndexError):
        return code.value


def _printable(value: Any) -> Any:
    """A text parameter that a response can encode: a message may quote what the client
    sent, lone surrogates and all."""
    return LONE_SURROGATES.sub("\ufffd", value) if isinstance(value, str) else value
