"""GraphQL for accounts: who am I (everyone), and the account list and creation (ADMIN)."""

from __future__ import annotations

import strawberry
from sqlalchemy import select

from sanquan import limits
from sanquan.api.bounds import bounded
from sanquan.api.context import Info
from sanquan.api.errors import UserError
from sanquan.api.ids import parse_id
from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import create_account, issue_token, set_active
from sanquan.institutions.graphql import InstitutionType

RoleType = strawberry.enum(Role, name="Role")


@strawberry.type(name="Account")
class AccountType:
    id: strawberry.ID
    name: str
    role: RoleType  # type: ignore[valid-type]
    institution: InstitutionType | None = strawberry.field(
        description="The school represented (INSTITUTION) or the affiliation (EXPERT)."
    )
    active: bool = strawberry.field(
        description="An inactive account's tokens and download links are refused."
    )

    @classmethod
    def of(cls, row: Account) -> AccountType:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            role=row.role,
            institution=InstitutionType.of(row.institution) if row.institution else None,
            active=row.active,
        )


@strawberry.input
class CreateAccountInput:
    name: str = bounded(limits.NAME)
    role: RoleType  # type: ignore[valid-type]
    institution_code: str | None = bounded(limits.CODE, default=None)
    unit_name: str | None = bounded(
        limits.NAME, "The responsible unit of a UNIT account, e.g. 市教委.", default=None
    )
    unit_owner: str = bounded(
        limits.NAME,
        "The school of a school's unit, e.g. 河南科技职业大学; empty: municipal.",
        default="",
    )


@strawberry.type
class CreateAccountPayload:
    account: AccountType | None
    token: str | None = strawberry.field(description="Shown once; only its hash is stored.")
    user_errors: list[UserError]


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The account behind the request's token.")
    def viewer(self, info: Info) -> AccountType:
        account = info.context.db.get(Account, info.context.principal.account_id)
        assert account is not None
        return AccountType.of(account)

    @strawberry.field(description="Accounts, optionally of one role (ADMIN).")
    def accounts(self, info: Info, role: RoleType | None = None) -> list[AccountType] | None:  # type: ignore[valid-type]
        info.context.require(Role.ADMIN, what="accounts")
        query = select(Account).order_by(Account.id)
        if role is not None:
            query = query.where(Account.role == role)
        return [AccountType.of(a) for a in info.context.db.scalars(query)]


@strawberry.input
class SetAccountActiveInput:
    account_id: strawberry.ID
    active: bool


@strawberry.type
class AccountPayload:
    account: AccountType | None
    user_errors: list[UserError]


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description="Switch an account off (its tokens and links stop working) or on again "
        "(ADMIN; not one's own)."
    )
    def set_account_active(self, info: Info, input: SetAccountActiveInput) -> AccountPayload | None:
        ctx = info.context
        actor = ctx.require(Role.ADMIN, what="setAccountActive")
        result, errors = ctx.mutate(
            lambda: set_active(ctx.db, actor, parse_id(input.account_id), input.active)
        )
        return AccountPayload(
            account=AccountType.of(result) if result else None, user_errors=errors
        )

    @strawberry.mutation(description="Create an account and its first token (ADMIN).")
    def create_account(self, info: Info, input: CreateAccountInput) -> CreateAccountPayload | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="createAccount")

        def action() -> tuple[Account, str]:
            account = create_account(
                ctx.db,
                name=input.name,
                role=Role(input.role),
                institution_code=input.institution_code,
                unit_name=input.unit_name,
                unit_owner=input.unit_owner,
            )
            return account, issue_token(ctx.db, account)

        result, errors = ctx.mutate(action)
        return CreateAccountPayload(
            account=AccountType.of(result[0]) if result else None,
            token=result[1] if result else None,
            user_errors=errors,
        )
