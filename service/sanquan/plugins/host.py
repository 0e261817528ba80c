"""Discovering plugins through the entry-point group, asking them for indicator sets, and
calling their hooks.

A plugin that fails to load, or hands over an invalid set, is recorded with its
distribution's name and left out; it does not take the other plugins down. A plugin that
fails at run time is named, never the set's provider in its place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import EntryPoint
from importlib.metadata import entry_points as _entry_points
from typing import Any, NamedTuple, TypeVar

import pluggy

from sanquan.errors import PLUGIN_CONFLICT, DomainError, ErrorCode, Localized
from sanquan_sdk import (
    ENTRY_POINT_GROUP,
    HOOKSPEC_VERSION,
    Aggregation,
    IndicatorSet,
    Reported,
    Scale,
    ScaleError,
    ScoreProblem,
    ScoreValue,
    SourceWeights,
)
from sanquan_sdk.manager import (
    DEFAULTS_NAME,
    ContractError,
    check_version,
    new_manager,
    register,
)

log = logging.getLogger(__name__)

SUPPORTED_HOOKSPEC_VERSION = 1

BUILT_IN = "sanquan"
"""Who answers for the built-in defaults (the standard checks and rule R16's aggregation)."""

T = TypeVar("T")


class PluginConflict(RuntimeError):
    """Two plugins offer the same indicator set and version; the service will not start."""

    def __init__(self, key: str, version: str, first: str, second: str) -> None:
        super().__init__(f"indicator set {key} {version} is offered by both {first} and {second}")
        self.names = {"key": key, "version": version, "first": first, "second": second}

    def message(self, language: str = "zh") -> str:
        return PLUGIN_CONFLICT.text(language).format(**self.names)


class PluginFailure(str):
    """A plugin left out at start-up, said in English (for the log) and in either language
    (:meth:`message`); ``detail`` is the error's own text."""

    distribution: str
    reason: Localized
    detail: str

    def __new__(cls, distribution: str, reason: Localized, detail: str) -> PluginFailure:
        made = super().__new__(cls, f"plugin {distribution} {reason.en}: {detail}")
        made.distribution, made.reason, made.detail = distribution, reason, detail
        return made

    def message(self, language: str = "zh") -> str:
        if language == "en":
            return str(self)
        return f"插件 {self.distribution} {self.reason.zh}:{self.detail}"


NOT_IMPORTED = Localized("无法导入", "cannot be imported")
NO_VALID_SET = Localized("未提供有效的指标体系", "offers no valid indicator set")
BREAKS_CONTRACT = Localized("不符合钩子约定", "breaks the hook contract")
NOT_REGISTERED = Localized("无法注册", "cannot be registered")


class PluginError(Exception):
    """A plugin misbehaved at run time; ``plugin`` names its distribution for the user,
    ``problem`` says what happened for the log."""

    def __init__(self, plugin: str, problem: str) -> None:
        super().__init__(f"{plugin}: {problem}")
        self.plugin = plugin
        self.problem = problem


@contextmanager
def refused_if_a_plugin_fails(field: Sequence[str | int], consequence: Localized) -> Iterator[None]:
    """Turn a plugin's failure inside the block into ``PLUGIN_FAILED`` at ``field``, naming
    the plugin and saying what was left undone: a reviewer must know to submit again, an
    administrator that a session is still open. The exception itself stays in the log."""
    try:
        yield
    except PluginError as error:
        raise plugin_failed(error, field, consequence) from error


def plugin_failed(
    error: PluginError, field: Sequence[str | int], consequence: Localized
) -> DomainError:
    """``PLUGIN_FAILED`` at ``field`` for ``error``: what :func:`refused_if_a_plugin_fails`
    raises, for a loop that catches the error itself rather than enter a context manager
    per item."""
    return DomainError(ErrorCode.PLUGIN_FAILED, field, plugin=error.plugin, consequence=consequence)


@dataclass(frozen=True)
class PluginProblem:
    """A plugin's problem with a score, with the distribution that raised it, so that the
    reviewer's message names that plugin and not the set's."""

    plugin: str
    problem: ScoreProblem


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
    failures: list[PluginFailure] = field(default_factory=list)
    distributions: dict[str, str] = field(default_factory=lambda: {DEFAULTS_NAME: BUILT_IN})
    """Registered plugin name → its distribution: whom a hook implementation answers for."""
    _implementations: dict[str, tuple[Implementation, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    """Each hook's implementations in calling order, read from pluggy once: they change
    only when a plugin is registered (:meth:`_register` forgets them), and a submission
    asks for them once per score."""

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
            host._register(plugin, f"extra-{index}", _name_of(plugin), "")
        return host

    def _load_entry_point(self, entry_point: EntryPoint) -> None:
        dist = entry_point.dist
        dist_name = dist.name if dist else entry_point.value
        version = dist.version if dist else ""
        try:
            plugin = entry_point.load()
        except Exception as error:  # a broken plugin must not stop the service
            self._fail(dist_name, NOT_IMPORTED, repr(error))
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
            self._fail(dist_name, NO_VALID_SET, str(error))
            return
        for indicator_set in offered:
            ident = (indicator_set.key, indicator_set.version)
            if ident in self.sets:
                raise PluginConflict(*ident, self.providers[ident], dist_name)
        try:
            register(self.manager, plugin, name)
        except ContractError as error:
            self._fail(dist_name, BREAKS_CONTRACT, str(error))
            return
        except ValueError as error:  # pluggy: the same module, or name, registered twice
            self._fail(dist_name, NOT_REGISTERED, str(error))
            return
        self.distributions[name] = dist_name
        self._implementations.clear()
        for indicator_set in offered:
            ident = (indicator_set.key, indicator_set.version)
            self.sets[ident] = indicator_set
            self.providers[ident] = dist_name
        hooks = tuple(sorted(h.name for h in self.manager.get_hookcallers(plugin) or ()))
        sets = tuple((s.key, s.version) for s in offered)
        self.plugins.append(PluginInfo(name, dist_name, version, hooks, sets))

    def _fail(self, dist_name: str, reason: Localized, detail: str) -> None:
        """Record the failure; the caller reports it, once (the server in its log, the
        command line on stderr)."""
        self.failures.append(PluginFailure(dist_name, reason, detail))

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
        return self.providers.get((indicator_set.key, indicator_set.version), BUILT_IN)

    def read_report(self, indicator_set: IndicatorSet, scale: Scale, reported: Reported) -> float:
        """``reported`` scored on ``scale``: a :class:`ScaleError` is the reviewer's, any
        other failure is the set provider's, whose code (a target's scorer) ran."""
        try:
            return scale.read(reported)
        except ScaleError:
            raise
        except Exception as error:
            plugin = self.provider(indicator_set)
            log.exception("plugin %s failed scoring on %s", plugin, indicator_set.key)
            raise PluginError(plugin, type(error).__name__) from error

    def validate(self, indicator_set: IndicatorSet, score: ScoreValue) -> list[PluginProblem]:
        """Every plugin's problems with one score, each with the plugin that found it."""
        return [
            PluginProblem(plugin, problem)
            for plugin, problems in self._answers(
                "sanquan_validate_score", _problems, indicator_set=indicator_set, score=score
            )
            for problem in problems
        ]

    def aggregate(
        self,
        indicator_set: IndicatorSet,
        scores: Sequence[ScoreValue],
        weights: SourceWeights | None = None,
    ) -> Aggregation:
        """The first plugin's aggregation (``firstresult``; the built-in answers last)."""
        subjects = frozenset(s.subject for s in scores)
        for _, aggregation in self._answers(
            "sanquan_aggregate",
            partial(_aggregation, subjects=subjects),
            indicator_set=indicator_set,
            scores=scores,
            weights=weights,
        ):
            return aggregation
        raise PluginError(BUILT_IN, "no aggregation answered")  # the built-in always answers

    def _answers(
        self, hook_name: str, check: Callable[[object], T], **kwargs: Any
    ) -> Iterator[tuple[str, T]]:
        """Each implementation's answer (``None`` skipped) as ``check`` reads it, with its
        distribution, in pluggy's order: later-registered and ``tryfirst`` first, the
        built-in last. Lazy, so a ``firstresult`` caller stops at the first answer.

        pluggy's own hook call runs every implementation in one go, and its exception does
        not say whose it was; one by one, the host names the plugin at fault instead of
        the set's provider. (Hook wrappers would need pluggy's call: the SDK refuses them.)
        """
        for plugin, function, argnames in self._implementations_of(hook_name):
            try:
                answer = function(*(kwargs[name] for name in argnames))
                checked = None if answer is None else check(answer)
            except Exception as error:
                log.exception("plugin %s failed in %s", plugin, hook_name)
                raise PluginError(plugin, type(error).__name__) from error
            if checked is not None:
                yield plugin, checked

    def _implementations_of(self, hook_name: str) -> tuple[Implementation, ...]:
        found = self._implementations.get(hook_name)
        if found is None:
            caller: pluggy.HookCaller = getattr(self.manager.hook, hook_name)
            found = tuple(
                Implementation(self.distributions[impl.plugin_name], impl.function, impl.argnames)
                for impl in reversed(caller.get_hookimpls())
            )
            self._implementations[hook_name] = found
        return found


class Implementation(NamedTuple):
    """One plugin's implementation of a hook: whom it answers for, and how to call it."""

    plugin: str
    function: Callable[..., object]
    argnames: tuple[str, ...]


def _problems(answer: object) -> list[ScoreProblem]:
    """A validation answer as the hook promises it; anything else is the plugin's fault
    (a bare string, say, would otherwise reach the reviewer as an internal error)."""
    if type(answer) is list and not answer:  # the usual answer: nothing wrong
        return answer
    if isinstance(answer, str | bytes) or not isinstance(answer, Iterable):
        raise TypeError(f"answered {type(answer).__name__}, not ScoreProblems")
    problems = list(answer)
    strays = sorted({type(p).__name__ for p in problems if not isinstance(p, ScoreProblem)})
    if strays:
        raise TypeError(f"answered {', '.join(strays)} among its ScoreProblems")
    return problems


def _aggregation(answer: object, subjects: frozenset[str]) -> Aggregation:
    """An aggregation the service can store: of the subjects scored, and no others."""
    if not isinstance(answer, Aggregation):
        raise TypeError(f"answered {type(answer).__name__}, not Aggregation")
    strays = sorted({s.subject for s in answer.subjects} - subjects)
    if strays:
        raise ValueError(f"aggregated subjects that were not scored: {', '.join(strays)}")
    return answer


def _name_of(plugin: object) -> str:
    """An unpackaged plugin's name for messages: its module's, or its class's."""
    name = getattr(plugin, "__name__", None)
    return name if isinstance(name, str) else type(plugin).__name__


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Orders ``2019.10`` after ``2019.9``: numeric parts as numbers."""
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.split("."))
