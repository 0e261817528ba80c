"""The command line's language: one per run, Chinese unless ``--lang en`` or an English
locale asks for English, for help, tables and errors alike.

>>> use("en"); str(Text("已写入", "wrote")); use("zh"); str(Text("已写入", "wrote"))
'wrote'
'已写入'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

LANGUAGES = ("zh", "en")
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
"""POSIX's order: the first one set decides."""

_language = "zh"


def use(language: str) -> None:
    """Speak ``language`` (``zh`` or ``en``) from now on in this process."""
    global _language  # noqa: PLW0603  (one language per run, chosen once before parsing)
    _language = language


def language() -> str:
    return _language


@dataclass(frozen=True)
class Text:
    """A message in both languages; ``str()`` gives the one of this run."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en if _language == "en" else self.zh

    def format(self, **params: Any) -> str:
        return str(self).format(**params)


def locale_language(environ: Mapping[str, str]) -> str:
    """``en`` when the locale is English (``LANG=en_US.UTF-8``), else ``zh``.

    >>> locale_language({"LANG": "en_GB.UTF-8"}), locale_language({"LANG": "C.UTF-8"})
    ('en', 'zh')
    >>> locale_language({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"})
    'zh'
    """
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


@dataclass(frozen=True)
class Choice:
    """The language of a run and the arguments left once ``--lang`` is taken out;
    ``problem`` is a ``--lang`` value that is not a language (the caller refuses it)."""

    language: str
    args: list[str]
    problem: str | None = None


def choose(args: Sequence[str], environ: Mapping[str, str]) -> Choice:
    """``--lang X`` (or ``--lang=X``) anywhere before ``--`` wins over the locale; it is
    taken out of the arguments, so it works after a subcommand too, even with ``--help``.

    >>> choose(["schedule", "plan", "--lang", "EN", "--json"], {})
    Choice(language='en', args=['schedule', 'plan', '--json'], problem=None)
    >>> choose(["--lang=fr"], {}).problem
    'fr'
    """
    chosen = locale_language(environ)
    rest: list[str] = []
    problem = None
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg == "--lang" or arg.startswith("--lang="):
            if arg == "--lang":
                index += 1
                value = args[index] if index < len(args) else ""
            else:
                value = arg.partition("=")[2]
            if value.lower() in LANGUAGES:
                chosen = value.lower()
            else:
                problem = value
        else:
            rest.append(arg)
        index += 1
    return Choice(chosen, rest, problem)


def translate_click() -> None:
    """Word Click's own messages (usage, section titles, its parsing errors) in this run's
    language. Click marks them for gettext but ships no catalogue, so its modules' ``_``
    and ``ngettext`` are pointed at :data:`CLICK` here; English passes through unchanged."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.types

    modules: tuple[ModuleType, ...] = (
        click.core,
        click.decorators,
        click.exceptions,
        click.formatting,
        click.parser,
        click.types,
    )
    for module in modules:
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


def gettext(message: str) -> str:
    if _language == "en":
        return message
    return CLICK.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return gettext(singular if count == 1 else plural)


CLICK: dict[str, str] = {
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Show this message and exit.": "显示此帮助并退出。",
    "default: {default}": "默认:{default}",
    "required": "必填",
    "Error: {message}": "错误:{message}",
    "Try '{command} {option}' for help.": "查看帮助:{command} {option}",
    "Missing command.": "缺少命令。",
    "No such command {name!r}.": "没有命令“{name}”。",
    "No such option: {name}": "没有选项 {name}",
    "No such option {name!r}.": "没有选项“{name}”。",
    "Did you mean {possibility}?": "是否想用 {possibility}?",
    "(Possible options: {possibilities})": "(可用的选项:{possibilities})",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数:{param_name}",
    "Invalid value: {message}": "无效的值:{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效:{message}",
    "Option {name!r} requires an argument.": "选项 {name} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name} 需要 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name} 不接受值。",
    "Got unexpected extra argument ({args})": "多余的参数:{args}",
    "Got unexpected extra arguments ({args})": "多余的参数:{args}",
    "{value!r} is not a valid {number_type}.": "“{value}”不是有效的{number_type}。",
    "Aborted!": "已中止。",
}
"""Click's messages (its English is the key) in Chinese."""
