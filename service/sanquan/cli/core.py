"""Click's commands and options with help in the run's language, the parameter types
whose errors name the valid choices, and :class:`Refused`, how a command says no.

Help is a :class:`~sanquan.cli.i18n.Text` read when it is shown, so one definition of a
command serves both languages; nothing here imports more than Click.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import click

from sanquan.cli import messages as m
from sanquan.cli.i18n import Text

F = TypeVar("F", bound=Callable[..., Any])
Help = Text | str | None


def _text(value: Help) -> str | None:
    return None if value is None else str(value)


class HelpFormatter(click.HelpFormatter):
    """Click's help layout, wrapped by display width: a Chinese character takes two
    columns, and a line may break between two of them (Click counts characters and breaks
    only at spaces, so Chinese help ran past the terminal's edge)."""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 20)
        for number, paragraph in enumerate(text.split("\n\n")):
            if number:
                self.write("\n")
            for line in wrap(" ".join(paragraph.split()), width):
                self.write(f"{indent}{line}\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        first_width = min(max((display_width(first) for first, _ in rows), default=0), col_max)
        column = first_width + col_spacing
        text_width = max(self.width - column - self.current_indent, 10)
        indent = " " * (self.current_indent + column)
        for first, second in rows:
            self.write(" " * self.current_indent + first)
            if not second:
                self.write("\n")
                continue
            lines = wrap(" ".join(second.split()), text_width)
            if display_width(first) <= first_width:
                self.write(" " * (column - display_width(first)))
            else:
                self.write("\n" + indent)
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(indent + line + "\n")


class Context(click.Context):
    formatter_class = HelpFormatter


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters take two.

    >>> display_width("季度 2027Q1")
    11
    """
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_UNITS = re.compile(
    r"\s+"  # a break
    r"|[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef][,.;:!?)\]、。,;:!?)」”]*"  # one wide
    r"|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+"  # a word
)


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken at spaces or between wide
    characters (a punctuation mark stays with the character before it).

    >>> wrap("一二三四五六 seven eight", 10)
    ['一二三四五', '六 seven', 'eight']
    """
    lines: list[str] = []
    line = ""
    for unit in _UNITS.findall(text):
        if unit.isspace():
            if line:
                line += " "
            continue
        if line and display_width(line.rstrip() + unit) > width:
            lines.append(line.rstrip())
            line = ""
        line += unit
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


class Localized:
    """An attribute Click reads as text in the run's language, whatever it was given: a
    :class:`Text` or a plain string. Click's own ``None`` leaves it as it was."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_localized_{name}"

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        return _text(getattr(obj, self.slot, None))

    def __set__(self, obj: object, value: Help) -> None:
        if value is not None:
            setattr(obj, self.slot, value)


class Command(click.Command):
    """A command whose help, short help and ``[OPTIONS]`` follow the run's language."""

    context_class = Context
    help = Localized()
    options_metavar = Localized()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = m.OPTIONS_METAVAR

    def get_short_help_str(self, limit: int = 45) -> str:
        """The help's first sentence, whole: the list of commands wraps it by width."""
        text = (self.help or "").partition("\n\n")[0]
        for end in ("。", ". "):
            if end in text:
                return text.partition(end)[0] + end.strip()
        return text


class Group(click.Group, Command):
    """A group of commands, listed in the order they were added."""

    command_class = Command
    subcommand_metavar = Localized()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subcommand_metavar = m.COMMAND_METAVAR

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


Group.group_class = Group


class Option(click.Option):
    """An option whose help and placeholder follow the run's language."""

    help = Localized()
    metavar = Localized()

    def __init__(self, *args: Any, help: Help = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # Click would clean a string help up: keep ours
        self.help = help


class Argument(click.Argument):
    """A positional argument with a placeholder in the run's language."""

    metavar = Localized()


def option(*decls: str, **attrs: Any) -> Callable[[F], F]:
    return click.option(*decls, cls=Option, **attrs)


def argument(*decls: str, **attrs: Any) -> Callable[[F], F]:
    return click.argument(*decls, cls=Argument, **attrs)


def json_option() -> Callable[[F], F]:
    return option("--json", "as_json", is_flag=True, help=m.JSON_HELP)


class Choice(click.ParamType[str]):
    """One of ``choices``, in any case; an unknown value is refused with the valid ones.

    >>> Choice(["mix", "group"]).convert("GROUP", None, None)
    'group'
    """

    name = "choice"

    def __init__(self, choices: Sequence[str]) -> None:
        self.choices = tuple(choices)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "[" + "|".join(self.choices) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        for choice in self.choices:
            if str(value).strip().lower() == choice.lower():
                return choice
        self.fail(m.UNKNOWN_CHOICE.format(value=value, choices=", ".join(self.choices)), param, ctx)


class Integer(click.ParamType[int]):
    """A whole number of at least ``minimum``, refused in the run's language."""

    name = "integer"

    def __init__(self, minimum: int | None = None) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            self.fail(m.NOT_AN_INTEGER.format(value=value), param, ctx)
        if self.minimum is not None and number < self.minimum:
            self.fail(m.TOO_SMALL.format(value=number, minimum=self.minimum), param, ctx)
        return number


class RecordId(click.ParamType[int]):
    """A ``kind`` row by its number (``1``, as the demo prints them) or by the global id
    GraphQL hands out; anything else names no row, and the command says it knows none."""

    name = "id"

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from sanquan.api.ids import parse_id

        return value if isinstance(value, int) else parse_id(str(value).strip(), self.kind)


class QuarterType(click.ParamType[str]):
    """A quarter such as ``2027Q1``; ``2027q1`` is read the same."""

    name = "quarter"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from sanquan.quarter import Quarter, QuarterError

        try:
            return str(Quarter.parse(str(value).strip().upper()))
        except QuarterError:
            self.fail(m.NOT_A_QUARTER.format(value=value), param, ctx)


class Refused(Exception):
    """A command refused, or could not do, what it was asked: each message goes to stderr
    (a JSON object under ``--json``) and the run exits with ``status``."""

    def __init__(
        self, *problems: Problem | Text | str, status: int = 2, code: str = "REFUSED"
    ) -> None:
        self.problems = [
            p if isinstance(p, Problem) else Problem(code, str(p), None) for p in problems
        ]
        self.status = status
        self.as_json = False
        """Said as JSON even without ``--json`` (``serve`` with JSON logs)."""
        super().__init__("; ".join(p.message for p in self.problems))


class Problem:
    """One reason for a refusal: a stable ``code``, a message in the run's language and,
    where one is at fault, the command line's option."""

    def __init__(self, code: str, message: str, option: str | None = None) -> None:
        self.code, self.message, self.option = code, message, option

    def as_json(self) -> dict[str, str]:
        found = {"code": self.code, "message": self.message}
        return found | ({"option": self.option} if self.option else {})


def refused_by_domain(error: Exception, options: Mapping[str, str] | None = None) -> Refused:
    """A :class:`~sanquan.errors.DomainError` (or several) as the command line words them:
    a field at fault is named by the option that set it (``--sessions-per-quarter``, not
    ``sessionsPerQuarter``)."""
    from sanquan.cli.i18n import language
    from sanquan.errors import DomainError, DomainErrors, ErrorCode, render

    errors = error.errors if isinstance(error, DomainErrors) else [error]
    problems = []
    for each in errors:
        assert isinstance(each, DomainError)
        head = str(each.field[0]) if each.field else ""
        flag = (options or {}).get(head)
        if flag and each.code is ErrorCode.INVALID_VALUE:
            message = render(each.code, {**each.params, "field": flag}, language())
        else:
            message = each.message(language())
            if flag:
                message = m.ABOUT_OPTION.format(option=flag, message=message)
        problems.append(Problem(each.code.value, message, flag))
    return Refused(*problems)
