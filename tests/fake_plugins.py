"""Misbehaving plugins, loaded through real entry points by the isolation tests."""

from __future__ import annotations

from collections.abc import Generator

from sanquan_beijing.plugin import indicator_set as beijing_set
from sanquan_sdk import Dimension, Indicator, IndicatorSet, ScoreValue, hookimpl


class InvalidSet:
    @hookimpl
    def sanquan_indicator_sets(self) -> list[IndicatorSet]:
        return [
            IndicatorSet(
                key="half",
                version="1",
                title="weights add up to 50",
                dimensions=(Dimension("D", "D", (Indicator("A", "a", 50),)),),
            )
        ]


class Duplicate:
    @hookimpl
    def sanquan_indicator_sets(self) -> list[IndicatorSet]:
        return [beijing_set()]


class UnknownArgument:
    @hookimpl
    def sanquan_validate_score(self, score: ScoreValue, mood: str) -> None:
        return None


class NewerContract:
    SANQUAN_HOOKSPEC_VERSION = 99

    @hookimpl
    def sanquan_indicator_sets(self) -> list[IndicatorSet]:
        return []


class Quiet:
    """Keeps to the contract and has nothing to say."""

    @hookimpl
    def sanquan_validate_score(self, score: ScoreValue) -> None:
        return None


class Wrapper:
    """A hook wrapper sees every other plugin's call; the host calls plugins one by one
    to tell which of them failed, so it refuses wrappers instead of skipping them."""

    @hookimpl(wrapper=True)
    def sanquan_aggregate(self) -> Generator[None, object, object]:
        return (yield)


invalid_set = InvalidSet()
duplicate = Duplicate()
unknown_argument = UnknownArgument()
newer_contract = NewerContract()
wrapper = Wrapper()
quiet = Quiet()
