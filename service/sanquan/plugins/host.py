"""Discovering plugins through the entry-point group and asking them for indicator sets.

A plugin that fails to load, or hands over an invalid set, is reported with its
distribution's name and left out; it does not take the other plugins down.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from importlib.metadata import entry_points as _entry_points
from typing import Any

import pluggy

from sanquan_sdk import (
    ENTRY_POINT_GROUP,
    HOOKSPEC_VERSION,
    Aggregation,
    IndicatorSet,
    ScoreProblem,
    ScoreValue,
    SourceWeights,
)
from sanquan_sdk.manager import ContractError, check_version, new_manager, register

log = logging.getLogger(__name__)

SUPPORTED_HOOKSPEC_VERSION = 1


class PluginConflict(RuntimeError):
    """Two plugins offer the same indicator set and version; the service will not start."""


class PluginError(Exception):
    """A plugin misbehaved at run time; ``plugin`` names it for the user."""

    def __init__(self, plugin: str, problem: str) -> None:
        super().__init__(f"{plugin}: {problem}")
        self.plugin = plugin
        self.problem = problem


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]
    sets: tuple[tuple[str, str], ...] = ()


@dataclass
class PluginHost:
    """The loaded plugins and the indicator sets they provide, by ``(key, version)``."""

    manager: pluggy.PluginManager
    sets: dict[tuple[str, str], IndicatorSet] = field(default_factory=dict)
    providers: dict[tuple[str, str], str] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @classmethod
    def discover(
        cls, extra: Iterable[object] = (), entry_points: Iterable[EntryPoint] | None = None
    ) -> PluginHost:
        """Load every plugin of the entry-point group (or of ``entry_points``), plus
        ``extra`` plugin objects (tests and benchmarks register sets this way).

        Raises :class:`PluginConflict` when two plugins offer the same set and version:
        which one a session would score against cannot be left to chance."""
        if HOOKSPEC_VERSION != SUPPORTED_HOOKSPEC_VERSION:
            raise RuntimeError(
                f"sanquan-sdk hook contract {HOOKSPEC_VERSION} is not the supported "
                f"{SUPPORTED_HOOKSPEC_VERSION}"
            )
        host = cls(new_manager())
        found = _entry_points(group=ENTRY_POINT_GROUP) if entry_points is None else entry_points
        for entry_point in sorted(found, key=lambda e: e.name):
            host._load_entry_point(entry_point)
        for index, plugin in enumerate(extra):
            host._register(plugin, f"extra-{index}", getattr(plugin, "__name__", "extra"), "")
        return host

    def _load_entry_point(self, entry_point: EntryPoint) -> None:
        dist = entry_point.dist
        dist_name = dist.name if dist else entry_point.value
        version = dist.version if dist else ""
        try:
            plugin = entry_point.load()
        except Exception as error:  # a broken plugin must not stop the service
            self._fail(dist_name, f"cannot be imported: {error!r}")
            return
        self._register(plugin, entry_point.name, dist_name, version)

    def _register(self, plugin: object, name: str, dist_name: str, version: str) -> None:
        hook = getattr(plugin, "sanquan_indicator_sets", None)
        offered: list[IndicatorSet] = []
        try:
            check_version(plugin)
            if hook is not None:
                offered = list(hook())
                for item in offered:
                    if not isinstance(item, IndicatorSet):
                        raise TypeError(f"returned {type(item).__name__}, not IndicatorSet")
        except Exception as error:
            self._fail(dist_name, f"offers no valid indicator set: {error}")
            return
        for indicator_set in offered:
            ident = (indicator_set.key, indicator_set.version)
            if ident in self.sets:
                raise PluginConflict(
                    f"indicator set {ident[0]} {ident[1]} is offered by both "
                    f"{self.providers[ident]} and {dist_name}"
                )
        try:
            register(self.manager, plugin, name)
        except ContractError as error:
            self._fail(dist_name, f"breaks the hook contract: {error}")
            return
        for indicator_set in offered:
            ident = (indicator_set.key, indicator_set.version)
            self.sets[ident] = indicator_set
            self.providers[ident] = dist_name
        hooks = tuple(sorted(h.name for h in self.manager.get_hookcallers(plugin) or ()))
        sets = tuple((s.key, s.version) for s in offered)
        self.plugins.append(PluginInfo(name, dist_name, version, hooks, sets))

    def _fail(self, dist_name: str, problem: str) -> None:
        message = f"plugin {dist_name} {problem}"
        log.error(message)
        self.failures.append(message)

    def indicator_set(self, key: str, version: str | None = None) -> IndicatorSet | None:
        """The set ``key`` at ``version``, or its newest version when none is given."""
        if version:
            return self.sets.get((key, version))
        versions = [v for (k, v) in self.sets if k == key]
        if not versions:
            return None
        return self.sets[(key, max(versions, key=_version_key))]

    def all_sets(self) -> list[IndicatorSet]:
        return [self.sets[k] for k in sorted(self.sets, key=lambda k: (k[0], _version_key(k[1])))]

    def provider(self, indicator_set: IndicatorSet) -> str:
        return self.providers.get((indicator_set.key, indicator_set.version), "sanquan")

    def validate(self, indicator_set: IndicatorSet, score: ScoreValue) -> list[ScoreProblem]:
        """Every plugin's problems with one score; a plugin that raises is named."""
        answers = self._call(
            "sanquan_validate_score", indicator_set, indicator_set=indicator_set, score=score
        )
        problems: list[ScoreProblem] = []
        for answer in answers or ():
            problems.extend(answer or ())
        return problems

    def aggregate(
        self,
        indicator_set: IndicatorSet,
        scores: Sequence[ScoreValue],
        weights: SourceWeights | None = None,
    ) -> Aggregation:
        result = self._call(
            "sanquan_aggregate",
            indicator_set,
            indicator_set=indicator_set,
            scores=scores,
            weights=weights,
        )
        if not isinstance(result, Aggregation):
            raise PluginError(self.provider(indicator_set), "aggregation returned no result")
        return result

    def _call(self, hook_name: str, for_set: IndicatorSet, **kwargs: Any) -> Any:
        try:
            return getattr(self.manager.hook, hook_name)(**kwargs)
        except Exception as error:
            log.exception("plugin hook %s failed", hook_name)
            raise PluginError(self.provider(for_set), type(error).__name__) from error


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Orders ``2019.10`` after ``2019.9``: numeric parts as numbers."""
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.split("."))
