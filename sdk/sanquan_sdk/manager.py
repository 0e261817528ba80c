"""The plugin manager both the service and the test kit build, so a plugin meets the same
contract in an integrator's tests as in production."""

from __future__ import annotations

import pluggy

from sanquan_sdk import HOOKSPEC_VERSION, PROJECT_NAME, defaults, hookspecs

VERSION_ATTRIBUTE = "SANQUAN_HOOKSPEC_VERSION"
"""A plugin module may declare the hook-contract version it was written for; a plugin for
a newer contract than the installed SDK's is refused instead of half-working."""


class ContractError(Exception):
    """A plugin that does not fit the hook contract."""


def new_manager() -> pluggy.PluginManager:
    """A manager with the hook specifications and the built-in defaults registered."""
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    manager.register(defaults, name="sanquan.defaults")
    return manager


def check_version(plugin: object) -> None:
    declared = getattr(plugin, VERSION_ATTRIBUTE, HOOKSPEC_VERSION)
    if not isinstance(declared, int) or declared > HOOKSPEC_VERSION:
        raise ContractError(
            f"written for hook contract {declared!r}; this SDK provides {HOOKSPEC_VERSION}"
        )


def register(manager: pluggy.PluginManager, plugin: object, name: str) -> None:
    """Register ``plugin`` after checking its declared contract version and that every
    ``sanquan_*`` function it marks is a known hook with known arguments."""
    check_version(plugin)
    try:
        manager.register(plugin, name=name)
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        if manager.is_registered(plugin):
            manager.unregister(plugin)
        raise ContractError(str(error)) from error
