"""The plugin manager both the service and the test kit build, so a plugin meets the same
contract in an integrator's tests as in production."""

from __future__ import annotations

import pluggy

from sanquan_sdk import HOOKSPEC_VERSION, PROJECT_NAME, defaults, hookspecs

VERSION_ATTRIBUTE = "SANQUAN_HOOKSPEC_VERSION"
"""A plugin module may declare the hook-contract version it was written for; a plugin for
a newer contract than the installed SDK's is refused instead of half-working."""


DEFAULTS_NAME = "sanquan.defaults"
"""The name the built-in defaults are registered under."""


class ContractError(Exception):
    """A plugin that does not fit the hook contract."""


def new_manager() -> pluggy.PluginManager:
    """A manager with the hook specifications and the built-in defaults registered."""
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    manager.register(defaults, name=DEFAULTS_NAME)
    return manager


def check_version(plugin: object) -> None:
    declared = getattr(plugin, VERSION_ATTRIBUTE, HOOKSPEC_VERSION)
    if not isinstance(declared, int) or declared > HOOKSPEC_VERSION:
        raise ContractError(
            f"written for hook contract {declared!r}; this SDK provides {HOOKSPEC_VERSION}"
        )


def register(manager: pluggy.PluginManager, plugin: object, name: str) -> None:
    """Register ``plugin`` after checking its declared contract version and that every
    ``sanquan_*`` function it marks is a known hook with known arguments.

    Hook wrappers are refused: a wrapper runs around every other plugin's implementation,
    so when one fails the service could not tell whose fault it was (it calls
    implementations one by one to name the plugin at fault)."""
    check_version(plugin)
    try:
        manager.register(plugin, name=name)
        manager.check_pending()
        wrappers = sorted(
            impl.function.__name__
            for caller in manager.get_hookcallers(plugin) or ()
            for impl in caller.get_hookimpls()
            if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper)
        )
        if wrappers:
            raise pluggy.PluginValidationError(
                plugin, f"hook wrappers are not part of the contract: {', '.join(wrappers)}"
            )
    except pluggy.PluginValidationError as error:
        if manager.is_registered(plugin):
            manager.unregister(plugin)
        raise ContractError(str(error)) from error
