"""``sanquan token``: accounts and their bearer tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanquan.cli import messages as m
from sanquan.cli.core import Choice, Command, Refused, argument, json_option, option
from sanquan.cli.output import emit_json, note, say
from sanquan.cli.root import group

if TYPE_CHECKING:
    from sanquan.auth.models import Account
    from sanquan.tables.models import ResponsibleUnit

ROLES = ("ADMIN", "INSTITUTION", "EXPERT", "UNIT", "VIEWER")
"""The roles of :class:`sanquan.auth.models.Role`, named without importing the models."""

OPTIONS = {"name": "--name", "institution": "--institution", "unit": "--unit"}
"""The account's fields → this command's options, so that errors name what was typed."""

tokens = group("token", m.TOKEN_HELP)


@tokens.command("create", cls=Command, help=m.TOKEN_CREATE_HELP)
@option("--role", type=Choice(ROLES), required=True, help=m.ROLE_HELP)
@option("--name", required=True, metavar=m.NAME, help=m.NAME_HELP)
@option("--institution", default=None, metavar=m.CODE, help=m.INSTITUTION_HELP)
@option("--unit", default=None, metavar=m.UNIT, help=m.UNIT_HELP)
@option("--unit-owner", default="", metavar=m.SCHOOL, help=m.UNIT_OWNER_HELP)
@json_option()
def create(
    role: str, name: str, institution: str | None, unit: str | None, unit_owner: str, as_json: bool
) -> None:
    from sanquan.api.ids import global_id
    from sanquan.auth.models import Role
    from sanquan.auth.tokens import create_account, issue_token, unit_of
    from sanquan.cli.context import database, settings
    from sanquan.cli.core import refused_by_domain
    from sanquan.errors import DomainError

    with database(settings()) as db:
        try:
            account = create_account(
                db,
                name=name,
                role=Role(role),
                institution_code=institution,
                unit_name=unit,
                unit_owner=unit_owner,
            )
        except DomainError as error:
            raise refused_by_domain(error, OPTIONS) from None
        token = issue_token(db, account)
        what = _represented(account, unit_of(db, account))
        account_id = global_id("Account", account.id)  # as GraphQL hands it out and takes it
        name = account.name  # as stored: trimmed
        db.commit()
    if as_json:
        emit_json(
            {
                "accountId": account_id,
                "token": token,
                "name": name,
                "role": role,
                "represents": what,
            }
        )
        return
    say(m.ACCOUNT_LINE.format(id=account_id, name=name, role=role))
    if what:
        say(m.REPRESENTS[role].format(what=what))
    say(m.TOKEN_LINE.format(token=token))
    note(m.TOKEN_ONCE)


@tokens.command("revoke", cls=Command, help=m.TOKEN_REVOKE_HELP)
@argument("token", metavar=m.TOKEN)
def revoke(token: str) -> None:
    from sanquan.auth.tokens import revoke_token
    from sanquan.cli.context import database, settings

    with database(settings()) as db:
        if not revoke_token(db, token):
            raise Refused(m.NO_SUCH_TOKEN, code="UNKNOWN_TOKEN")
        db.commit()
    say(m.REVOKED)


def _represented(account: Account, unit: ResponsibleUnit | None) -> str | None:
    """What the account speaks for, in words: its school, its unit (with the school that
    owns it), or an expert's affiliation."""
    if unit is not None:
        return f"{unit.short_name}({unit.owner})" if unit.owner else unit.short_name
    return account.institution.name if account.institution is not None else None
