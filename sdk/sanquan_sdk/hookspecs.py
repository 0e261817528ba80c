"""The hook specifications: the whole contract between the service and a plugin.

Each function below documents one hook. A plugin implements a hook by defining a function of
the same name decorated with :data:`sanquan_sdk.hookimpl`; it may accept only the arguments it
needs. The service calls hooks with keyword arguments only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sanquan_sdk import hookspec
from sanquan_sdk.model import IndicatorSet
from sanquan_sdk.scoring import Aggregation, ScoreProblem, ScoreValue, SourceWeights


@hookspec
def sanquan_indicator_sets() -> Sequence[IndicatorSet]:
    """Return the indicator sets this plugin provides (usually one, possibly several
    versions of it). Called once at start-up.

    Example::

        @hookimpl
        def sanquan_indicator_sets():
            return [IndicatorSet(key="my-set", version="1", title="…", dimensions=(...))]
    """
    raise NotImplementedError


@hookspec
def sanquan_validate_score(
    indicator_set: IndicatorSet, score: ScoreValue
) -> Iterable[ScoreProblem] | None:
    """Return the problems of one score, beyond the standard checks (known indicator,
    allowed source, value on the scale, evidence) that the service always applies.

    Every implementation is called for every score of every set, so check
    ``indicator_set.key`` first and return ``None`` for sets that are not yours. A submission
    with any problem is refused whole.

    Example::

        @hookimpl
        def sanquan_validate_score(indicator_set, score):
            if indicator_set.key == "my-set" and score.value % 5:
                return [ScoreProblem("value", "NOT_A_MULTIPLE_OF_5", "use steps of 5")]
            return None
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def sanquan_aggregate(
    indicator_set: IndicatorSet,
    scores: Sequence[ScoreValue],
    weights: SourceWeights | None,
) -> Aggregation | None:
    """Turn the submitted scores of a session into results; the first non-``None`` answer
    wins, and the built-in default (rule R16: mean per source, weights 0.2/0.3/0.5) answers
    last. ``weights`` is ``None`` when a session is concluded, and the stored weights when a
    concluded session is recomputed after a correction: honour them if given.

    Example::

        @hookimpl
        def sanquan_aggregate(indicator_set, scores, weights):
            if indicator_set.key != "my-set":
                return None
            return default_aggregate(indicator_set, scores, weights or SourceWeights(0, 0.4, 0.6))
    """
    raise NotImplementedError
