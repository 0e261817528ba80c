"""A test kit for integrators: check a plugin against the hook contract and score sample
reports exactly as the service does, with pytest or plain asserts, without the service, its
web stack or a database.

::

    from sanquan_sdk.testing import Sample, check_plugin, score
    import my_plugin

    def test_contract():
        check_plugin(my_plugin, samples=[Sample("my-set", "M03", value=72, refused="STEP_OF_5")])

    def test_target_scoring():
        assert score(my_plugin, "my-set", "M01", figure=3).value == 50.0
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
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

    @property
    def codes(self) -> list[str]:
        """The problems' codes, in order: ``["STEP_OF_5"]``."""
        return [problem.code for problem in self.problems]


@dataclass(frozen=True)
class Sample:
    """A report to score under test, as a reviewer would send it: one of ``value``,
    ``level`` or ``figure``, with the source, evidence and comment. ``refused`` is the
    problem code it must be refused with (a plugin's own, such as ``STEP_OF_5``, or a
    standard one such as ``OUT_OF_SCALE``); ``None`` means it must be accepted."""

    key: str
    indicator: str
    value: float | None = None
    level: str | None = None
    figure: float | None = None
    source: Source = Source.EXPERT
    evidence: str = ""
    comment: str = ""
    refused: str | None = None
    version: str | None = None

    @property
    def reported(self) -> Reported:
        return Reported(value=self.value, level=self.level, figure=self.figure)

    def verdict(self, scored: Scored) -> str | None:
        """What is wrong with ``scored`` as this sample's outcome, or ``None``."""
        where = f"{self.key} {self.indicator}: {self.reported.text()} from {self.source}"
        if self.refused is None and not scored.ok:
            return f"{where} was refused ({', '.join(scored.codes)}), but must be accepted"
        if self.refused is not None and self.refused not in scored.codes:
            outcome = f"refused with {', '.join(scored.codes)}" if scored.codes else "accepted"
            return f"{where} was {outcome}, but must be refused with {self.refused}"
        return None


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
    comment: str = "",
    version: str | None = None,
) -> Scored:
    """Score one report as the service does: the scale reads it, then every plugin's
    ``sanquan_validate_score`` checks the score, which carries the number on the
    indicator's scale as ``value``, the level or figure as reported (``reported``), the
    evidence and the comment."""
    manager = plugin if isinstance(plugin, pluggy.PluginManager) else manager_for(plugin)
    sample = Sample(key, indicator, value, level, figure, source, evidence, comment)
    return _score(manager, _find_set(manager, key, version), sample)


def _score(manager: pluggy.PluginManager, indicator_set: IndicatorSet, sample: Sample) -> Scored:
    found = indicator_set.indicator(sample.indicator)
    if found is None:
        return Scored(None, [ScoreProblem("indicator", "UNKNOWN_INDICATOR", sample.indicator)])
    reported = sample.reported
    try:
        number = found.scale.read(reported)
    except ScaleError as error:
        return Scored(None, [ScoreProblem(error.field_name, error.code, str(error))])
    scored = ScoreValue(
        "SUBJECT",
        sample.indicator,
        sample.source,
        number,
        f"{sample.source}-1",
        sample.evidence,
        sample.comment,
        reported.recorded(),
    )
    problems = [
        p
        for answer in manager.hook.sanquan_validate_score(indicator_set=indicator_set, score=scored)
        or ()
        for p in answer or ()
    ]
    return Scored(number, problems)


def check_plugin(plugin: object, samples: Sequence[Sample] = ()) -> list[IndicatorSet]:
    """Check ``plugin`` against the hook contract; returns its sets, or raises
    :class:`PluginCheckError` listing every problem found.

    Checks: the hooks it implements exist with the arguments it takes; its contract version;
    it provides valid, uniquely identified sets; every indicator accepts sample reports
    from each allowed source (see :func:`sample_reports`; with evidence and a comment);
    aggregation of sample scores gives a result for every indicator, within the scale; and
    each of ``samples`` is accepted, or refused with its ``refused`` code. A generated
    sample that ``samples`` declares refused is not expected to be accepted."""
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
            problems.extend(_check_set(manager, item, samples))
    for sample in samples:
        matching = [s for s in sets if s.key == sample.key and sample.version in (None, s.version)]
        if not matching:
            problems.append(f"{sample.key}: a sample names a set the plugin does not provide")
            continue
        verdict = sample.verdict(_score(manager, matching[-1], sample))
        if verdict is not None:
            problems.append(verdict)
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


def _check_set(
    manager: pluggy.PluginManager, indicator_set: IndicatorSet, declared: Sequence[Sample]
) -> list[str]:
    where = f"{indicator_set.key} {indicator_set.version}"
    problems: list[str] = []
    samples: list[ScoreValue] = []
    refused = {
        (s.indicator, s.source, s.reported)
        for s in declared
        if s.refused is not None and s.key == indicator_set.key
    }
    for indicator in indicator_set.indicators:
        scale = indicator.scale
        if isinstance(scale, TargetScale) and not scale.scoring:
            problems.append(
                f"{where} {indicator.code}: a custom scorer needs rule=... saying how figures "
                "are scored, for the reviewers who report them"
            )
        for source in sorted(indicator.sources):
            for reported in sample_reports(indicator):
                if (indicator.code, source, reported) in refused:
                    continue
                try:
                    number = indicator.scale.read(reported)
                except Exception as error:
                    problems.append(f"{where} {indicator.code}: {reported} refused: {error}")
                    continue
                sample = ScoreValue(
                    "SUBJECT",
                    indicator.code,
                    source,
                    number,
                    f"{source}-1",
                    "sample evidence",
                    "sample comment",
                    reported.recorded(),
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
