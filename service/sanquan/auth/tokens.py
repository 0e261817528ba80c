"""Issuing and checking bearer tokens.

Tokens carry 256 random bits, so an unsalted SHA-256 is enough to make a stolen database
useless for logging in, and it lets a request find its token with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from sanquan.auth.models import Account, ApiToken, Role
from sanquan.errors import DomainError, ErrorCode, clean_text, invalid
from sanquan.institutions.service import get_institution
from sanquan.limits import NAME_LENGTH
from sanquan.observability.requests import identify
from sanquan.timeutil import utcnow

if TYPE_CHECKING:
    from sanquan.tables.models import ResponsibleUnit

PREFIX = "sq_"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a snapshot of the account behind the request's token."""

    account_id: int
    name: str
    role: Role
    institution_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def principal_of(account: Account) -> Principal:
    return Principal(account.id, account.name, account.role, account.institution_id)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_account(
    db: Session,
    *,
    name: str,
    role: Role,
    institution_code: str | None = None,
    unit_name: str | None = None,
    unit_owner: str = "",
) -> Account:
    """An account; ``INSTITUTION`` accounts must name their school, experts may name
    their affiliation, other roles must not name one; ``UNIT`` accounts name their unit,
    a municipal one unless ``unit_owner`` names the school whose unit it is."""
    from sanquan.tables.service import get_unit  # tables build on accounts

    name = clean_text(name, ("name",), NAME_LENGTH, required=True)
    institution = None
    if institution_code:
        if role not in (Role.INSTITUTION, Role.EXPERT):
            raise invalid(
                ("institution",),
                f"{role} 账号不属于任何高校",
                f"a {role} account belongs to no institution",
            )
        institution = get_institution(db, institution_code, ("institution",))
    elif role is Role.INSTITUTION:
        raise invalid(
            ("institution",),
            "INSTITUTION 账号必须指定所代表的高校",
            "an INSTITUTION account must name the school it represents",
        )
    unit_id = None
    if role is Role.UNIT:
        if not unit_name:
            raise invalid(
                ("unit",), "UNIT 账号必须指定责任单位", "a UNIT account must name its unit"
            )
        unit_id = get_unit(db, unit_name, ("unit",), unit_owner).id
    elif unit_name or unit_owner:
        raise invalid(
            ("unit",), "只有 UNIT 账号属于责任单位", "only UNIT accounts belong to a unit"
        )
    account = Account(name=name, role=role, institution=institution, unit_id=unit_id)
    db.add(account)
    db.flush()
    return account


def unit_of(db: Session, account: Account) -> ResponsibleUnit | None:
    """The responsible unit a ``UNIT`` account reports for; ``None`` for other roles."""
    from sanquan.tables.models import ResponsibleUnit  # tables build on accounts

    return db.get(ResponsibleUnit, account.unit_id) if account.unit_id is not None else None


def set_active(db: Session, actor: Principal, account_id: int, active: bool) -> Account:
    """Switch an account on or off. Off, its tokens and download links stop working at
    once (both are checked against the account on every request) but stay on record, and
    its scores, findings and reports keep their author. An administrator cannot switch
    themselves off, so the commission is never left without one by a slip."""
    account = db.get(Account, account_id)
    if account is None:
        raise DomainError(ErrorCode.UNKNOWN_ACCOUNT, ("accountId",), value=account_id)
    if account.id == actor.account_id and not active:
        raise DomainError(ErrorCode.OWN_ACCOUNT, ("accountId",))
    account.active = active
    db.flush()
    return account


def issue_token(db: Session, account: Account) -> str:
    """A new token for ``account``; the returned secret is not stored anywhere."""
    token = PREFIX + secrets.token_urlsafe(32)
    db.add(ApiToken(account_id=account.id, token_hash=hash_token(token)))
    db.flush()
    return token


def revoke_token(db: Session, token: str) -> bool:
    """Mark ``token`` revoked; ``False`` when it is unknown or revoked already."""
    row = db.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token.strip()), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return False
    row.revoked_at = utcnow()
    db.flush()
    return True


_ACCOUNTS = Account.metadata.tables[Account.__tablename__]
_TOKENS = ApiToken.metadata.tables[ApiToken.__tablename__]
_BY_TOKEN = (
    select(_ACCOUNTS.c.id, _ACCOUNTS.c.name, _ACCOUNTS.c.role, _ACCOUNTS.c.institution_id)
    .join(_TOKENS, _TOKENS.c.account_id == _ACCOUNTS.c.id)
    .where(
        _TOKENS.c.token_hash == bindparam("token_hash"),
        _TOKENS.c.revoked_at.is_(None),
        _ACCOUNTS.c.active.is_(True),
    )
)
"""The active account of an unrevoked token, by the token's hash: built once, since every
request asks it and building the expression cost more than running it; of the tables, not
the mapped classes, and run on the session's connection, since the ORM's handling of a
statement (its compile state, the session's execute events) cost a request as much again
as the lookup itself, for a row that is no ORM object. Every request reads the database:
no token is remembered in the process, so a revoked one is refused at once."""


def authenticate(db: Session, authorization: str | None) -> Principal | None:
    """The principal of an ``Authorization: Bearer …`` header, or ``None``."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    given = {"token_hash": hash_token(token.strip())}
    row = db.connection().execute(_BY_TOKEN, given).one_or_none()
    if row is None:
        return None
    account_id, name, role, institution_id = row  # unpacked: cheaper than by name
    identify(account_id)
    return Principal(account_id, name, Role(role), institution_id)
