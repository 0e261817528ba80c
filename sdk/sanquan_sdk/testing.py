"""A test kit for integrators: check a plugin against the hook contract and score sample
values, with pytest or plain asserts, without the service, its web stack or a database.

::

    from sanquan_sdk.testing import check_plugin, score
    import my_plugin

    def test_contract():
        check_plugin(my_plugin)

    def test_target_scoring():
        assert score(my_plugin, "my-set", "M01", figure=3).value == 50.0
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import pluggy

from sanquan_sdk.manager import ContractError, new_manager, register
from sanquan_sdk.model import (
    Indicator,
    IndicatorSet,
    LevelScale,
    NumericScale,
    Reported,
    ScaleError,
    Source,
    TargetScale,
)
from sanquan_sdk.scoring import Aggregation, ScoreProblem, ScoreValue


class PluginCheckError(AssertionError):
    """Every way a plugin breaks the contract, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def manager_for(*plugins: object) -> pluggy.PluginManager:
    """The service's plugin manager with ``plugins`` registered (contract checked)."""
    manager = new_manager()
    for index, plugin in enumerate(plugins):
        register(manager, plugin, f"plugin-{index}")
    return manager


@dataclass(frozen=True)
class Scored:
    """A sample score: the value the scale gives, and any problems the plugins raise."""

    value: float | None
    problems: list[ScoreProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.value is not None and not self.problems


def score(
    plugin: object,
    key: str,
    indicator: str,
    *,
    value: float | None = None,
    level: str | None = None,
    figure: float | None = None,
    source: Source = Source.EXPERT,
    evidence: str = "",
    version: str | None = None,
) -> Scored:
    """Score one report as the service would: the scale reads it, then every plugin's
    ``sanquan_validate_score`` checks it."""
    manager = plugin if isinstance(plugin, pluggy.PluginManager) else manager_for(plugin)
    indicator_set = _find_set(manager, key, version)
    found = indicator_set.indicator(indicator)
    if found is None:
        return Scored(None, [ScoreProblem("indicator", "UNKNOWN_INDICATOR", indicator)])
    reported = Reported(value=value, level=level, figure=figure)
    try:
        number = found.scale.read(reported)
    except ScaleError as error:
        return Scored(None, [ScoreProblem(error.field_name, error.code, str(error))])
    sample = ScoreValue("SUBJECT", indicator, source, number, "reviewer", evidence)
    problems = [
        p
        for answer in manager.hook.sanquan_validate_score(indicator_set=indicator_set, score=sample)
        or ()
        for p in answer or ()
    ]
    return Scored(number, problems)


def check_plugin(plugin: object) -> list[IndicatorSet]:
    """Check ``plugin`` against the hook contract; returns its sets, or raises
    :class:`PluginCheckError` listing every problem found.

    Checks: the hooks it implements exist with the arguments it takes; its contract version;
    it provides valid, uniquely identified sets; every indicator accepts a sample report
    from each allowed source; aggregation of sample scores gives a result for every
    indicator, within the scale."""
    try:
        manager = manager_for(plugin)
    except ContractError as error:
        raise PluginCheckError([f"contract: {error}"]) from error
    problems: list[str] = []
    hook = getattr(plugin, "sanquan_indicator_sets", None)
    sets: list[IndicatorSet] = []
    if hook is None:
        problems.append("sanquan_indicator_sets: not implemented, so the plugin provides no set")
    else:
        try:
            sets = list(hook())
        except Exception as error:  # the check reports, it does not crash
            problems.append(f"sanquan_indicator_sets: raised {error!r}")
        seen: set[tuple[str, str]] = set()
        for item in sets:
            if not isinstance(item, IndicatorSet):
                problems.append(f"sanquan_indicator_sets: returned {type(item).__name__}")
                continue
            if (item.key, item.version) in seen:
                problems.append(f"{item.key} {item.version}: offered twice")
            seen.add((item.key, item.version))
            problems.extend(_check_set(manager, item))
    if problems:
        raise PluginCheckError(problems)
    return sets


def sample_reports(indicator: Indicator) -> Iterator[Reported]:
    """Reports that must be accepted: the midpoint and ends of a numeric range, every
    level, and a target's threshold, zero and twice the threshold."""
    scale = indicator.scale
    if isinstance(scale, NumericScale):
        for number in (scale.minimum, (scale.minimum + scale.maximum) / 2, scale.maximum):
            yield Reported(value=number)
    elif isinstance(scale, LevelScale):
        for level in scale.levels:
            yield Reported(level=level.code)
    elif isinstance(scale, TargetScale):
        for figure in (0.0, scale.target.threshold, 2 * scale.target.threshold):
            yield Reported(figure=figure)


def _check_set(manager: pluggy.PluginManager, indicator_set: IndicatorSet) -> list[str]:
    where = f"{indicator_set.key} {indicator_set.version}"
    problems: list[str] = []
    samples: list[ScoreValue] = []
    for indicator in indicator_set.indicators:
        for source in sorted(indicator.sources):
            for reported in sample_reports(indicator):
                try:
                    number = indicator.scale.read(reported)
                except Exception as error:
                    problems.append(f"{where} {indicator.code}: {reported} refused: {error}")
                    continue
                sample = ScoreValue(
                    "SUBJECT", indicator.code, source, number, f"{source}-1", "evidence"
                )
                try:
                    answers = manager.hook.sanquan_validate_score(
                        indicator_set=indicator_set, score=sample
                    )
                except Exception as error:
                    problems.append(f"{where} {indicator.code}: validation raised {error!r}")
                    continue
                for problem in [p for answer in answers or () for p in answer or ()]:
                    problems.append(
                        f"{where} {indicator.code}: sample {reported} from {source} refused: "
                        f"{problem.code} {problem.message}"
                    )
                samples.append(sample)
    try:
        aggregation = manager.hook.sanquan_aggregate(
            indicator_set=indicator_set, scores=samples, weights=None
        )
    except Exception as error:
        return [*problems, f"{where}: aggregation raised {error!r}"]
    if not isinstance(aggregation, Aggregation):
        return [*problems, f"{where}: aggregation returned {type(aggregation).__name__}"]
    for subject in aggregation.subjects:
        codes = {r.indicator for r in subject.indicators}
        missing = {i.code for i in indicator_set.indicators} - codes
        if missing:
            problems.append(f"{where}: aggregation left out {', '.join(sorted(missing))}")
        for result in subject.indicators:
            if result.combined is None or not math.isfinite(result.combined):
                problems.append(f"{where} {result.indicator}: no combined value")
    return problems


def _find_set(manager: pluggy.PluginManager, key: str, version: str | None) -> IndicatorSet:
    offered: list[IndicatorSet] = [
        s for answer in manager.hook.sanquan_indicator_sets() for s in answer
    ]
    matching = [s for s in offered if s.key == key and (version is None or s.version == version)]
    if not matching:
        raise LookupError(f"no indicator set {key!r} {version or ''} among the plugin's sets")
    return matching[-1]
