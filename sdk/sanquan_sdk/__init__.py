"""The sanquan plugin SDK: what an indicator-set plugin needs, and nothing of the service.

A plugin is a module (or object) with functions marked ``@hookimpl`` whose names match the
specifications in :mod:`sanquan_sdk.hookspecs`; it is announced to the service through the
``sanquan.plugins`` entry-point group of its distribution::

    [project.entry-points."sanquan.plugins"]
    my_set = "my_package.plugin"
"""

from __future__ import annotations

import pluggy

from sanquan_sdk.model import (
    Comparison,
    Dimension,
    Indicator,
    IndicatorSet,
    IndicatorSetError,
    Level,
    LevelScale,
    NumericScale,
    Reported,
    Scale,
    ScaleError,
    ScaleKind,
    Source,
    Target,
    TargetScale,
    proportional,
)
from sanquan_sdk.scoring import (
    Aggregation,
    IndicatorResult,
    ScoreProblem,
    ScoreValue,
    SourceWeights,
    SubjectResult,
)

PROJECT_NAME = "sanquan"
"""The pluggy project name: hook functions are called ``sanquan_*``."""

ENTRY_POINT_GROUP = "sanquan.plugins"
"""Where the service looks for plugins; it never imports one by name."""

HOOKSPEC_VERSION = 1
"""Version of the hook contract. Raised when a hook changes incompatibly; adding an argument
to a hook is compatible (pluggy passes implementations only the arguments they name)."""

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
hookspec = pluggy.HookspecMarker(PROJECT_NAME)

__all__ = [
    "ENTRY_POINT_GROUP",
    "HOOKSPEC_VERSION",
    "PROJECT_NAME",
    "Aggregation",
    "Comparison",
    "Dimension",
    "Indicator",
    "IndicatorResult",
    "IndicatorSet",
    "IndicatorSetError",
    "Level",
    "LevelScale",
    "NumericScale",
    "Reported",
    "Scale",
    "ScaleError",
    "ScaleKind",
    "ScoreProblem",
    "ScoreValue",
    "Source",
    "SourceWeights",
    "SubjectResult",
    "Target",
    "TargetScale",
    "hookimpl",
    "hookspec",
    "proportional",
]
