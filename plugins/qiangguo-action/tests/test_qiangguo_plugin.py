"""The 双带头人 强国行 set against the hook contract and its grading, with the SDK's test kit:
no service needed."""

from sanquan_qiangguo import plugin
from sanquan_sdk import ScoreProblem, Source
from sanquan_sdk.testing import check_plugin, score

KEY = "shuangdaitouren-qiangguo"


def codes(problems: list[ScoreProblem]) -> list[str]:
    return [problem.code for problem in problems]


def test_plugin_keeps_the_hook_contract() -> None:
    [indicator_set] = check_plugin(plugin)
    assert (indicator_set.key, indicator_set.version) == (KEY, "2024.1")


def test_the_four_tasks_weigh_the_same_and_say_what_they_ask() -> None:
    indicators = list(plugin.indicator_set().indicators)
    assert [i.title for i in indicators] == [
        "开展党建联建",
        "提供教育服务",
        "推动科技赋能",
        "深化实践育人",
    ]
    assert [i.weight for i in indicators] == [25.0] * 4
    assert all(i.description for i in indicators)


def test_progress_is_graded() -> None:
    assert score(plugin, KEY, "T1", level="A").value == 95
    assert score(plugin, KEY, "T4", level="B", source=Source.PEER).value == 85


def test_an_unknown_grade_or_a_number_is_refused() -> None:
    assert codes(score(plugin, KEY, "T2", level="E").problems) == ["UNKNOWN_LEVEL"]
    assert codes(score(plugin, KEY, "T2", value=90).problems) == ["WRONG_INPUT"]
    assert codes(score(plugin, KEY, "T2", figure=3).problems) == ["WRONG_INPUT"]


def test_the_schools_own_grade_cites_the_yearly_submissions() -> None:
    missing = score(plugin, KEY, "T3", level="A", source=Source.SELF)
    assert codes(missing.problems) == ["EVIDENCE_REQUIRED"]
    cited = score(plugin, KEY, "T3", level="A", source=Source.SELF, evidence="2024年度开展情况")
    assert cited.ok
