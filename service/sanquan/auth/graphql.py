"""GraphQL for accounts: who am I (everyone), and the account list and creation (ADMIN)."""

from __future__ import annotations

from typing import Annotated, Self

import strawberry
from sqlalchemy import select

from sanquan import limits
from sanquan.api.bounds import INPUT, After, Before, First, Last, bounded
from sanquan.api.context import Info
from sanquan.api.enums import described_enum
from sanquan.api.errors import UserError, refusals
from sanquan.api.ids import global_id, parse_id
from sanquan.api.nodes import Node, row_key
from sanquan.api.pagination import Connection, Page, paginate
from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import create_account, issue_token, set_active
from sanquan.institutions.graphql import InstitutionType
from sanquan.tables.graphql import UnitType
from sanquan.tables.models import ResponsibleUnit

RoleType = described_enum(
    Role,
    "What an account may do; one role per account.",
    {
        Role.ADMIN: "The commission's staff (市委教育工委): manage the pool, sessions, panels, "
        "rotation, findings and accounts; read everything.",
        Role.INSTITUTION: "A school's liaison (高校联络人): self-evaluation of its own school, "
        "peer evaluation of the others in its sessions, progress on its rectification items.",
        Role.EXPERT: "An expert (专家) on session panels: expert scores, except for the school "
        "of their affiliation (conflict of interest).",
        Role.UNIT: "A responsible unit (责任单位): quarterly progress on the tasks it owns.",
        Role.VIEWER: "Read-only: schedules and concluded results.",
    },
    name="Role",
)


@strawberry.type(
    name="Account",
    description="Someone who signs in with a bearer token: a person or a school's or unit's "
    "account.",
)
class AccountType(Node):
    row_id: strawberry.Private[int]
    name: str = strawberry.field(description="Display name.")
    role: RoleType = strawberry.field(  # type: ignore[valid-type]
        description="What the account may do."
    )
    institution: InstitutionType | None = strawberry.field(
        description="The school represented (INSTITUTION) or the affiliation (EXPERT)."
    )
    active: bool = strawberry.field(
        description="An inactive account's tokens and download links are refused."
    )
    unit_id: strawberry.Private[int | None] = None

    @strawberry.field(
        description="The responsible unit (责任单位) a UNIT account reports for; null for "
        "other roles."
    )
    def unit(self, info: Info) -> UnitType | None:
        if self.unit_id is None:
            return None
        row = info.context.db.get(ResponsibleUnit, self.unit_id)
        return UnitType(row=row) if row is not None else None

    @strawberry.field(description="The account's global id, as mutations take it.")
    def id(self) -> strawberry.ID:
        return global_id("Account", self.row_id)

    @classmethod
    def fetch(cls, info: Info, key: str) -> Self | None:
        """ADMIN reads every account, anyone else only their own."""
        pk = row_key(key)
        principal = info.context.principal
        if pk is None or not (principal.is_admin or principal.account_id == pk):
            return None
        row = info.context.db.get(Account, pk)
        return cls.of(row) if row else None  # type: ignore[return-value]

    @classmethod
    def of(cls, row: Account) -> AccountType:
        return cls(
            row_id=row.id,
            name=row.name,
            role=row.role,
            institution=InstitutionType.of(row.institution) if row.institution else None,
            active=row.active,
            unit_id=row.unit_id,
        )


@strawberry.input(description="A new account.")
class CreateAccountInput:
    name: str = bounded(limits.NAME, "Display name.")
    role: RoleType = strawberry.field(  # type: ignore[valid-type]
        description="What it may do."
    )
    institution_code: str | None = bounded(
        limits.CODE,
        "The school an INSTITUTION account represents, or an EXPERT's affiliation.",
        default=None,
    )
    unit_name: str | None = bounded(
        limits.NAME, "The responsible unit of a UNIT account, e.g. 市教委.", default=None
    )
    unit_owner: str = bounded(
        limits.NAME,
        "The school of a school's unit, e.g. 河南科技职业大学; empty: municipal.",
        default="",
    )


@strawberry.type(description="The account created, with its token.")
class CreateAccountPayload:
    account: AccountType | None = strawberry.field(description="Null when refused.")
    token: str | None = strawberry.field(description="Shown once; only its hash is stored.")
    user_errors: list[UserError] = refusals()


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The account behind the request's token.")
    def viewer(self, info: Info) -> AccountType:
        account = info.context.db.get(Account, info.context.principal.account_id)
        assert account is not None
        return AccountType.of(account)

    @strawberry.field(
        description="Accounts in the order they were created, optionally of one role (ADMIN)."
    )
    def accounts(
        self,
        info: Info,
        role: Annotated[
            RoleType | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only accounts of this role; all when omitted."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[AccountType] | None:
        info.context.require(Role.ADMIN, what="accounts")
        query = select(Account)
        if role is not None:
            query = query.where(Account.role == role)
        return paginate(
            info.context.db,
            query,
            (Account.id,),
            lambda row: (row.id,),
            AccountType.of,
            Page(first, after, last, before),
        )


@strawberry.input(description="An account to switch off or on.")
class SetAccountActiveInput:
    account_id: strawberry.ID = strawberry.field(description="The account.")
    active: bool = strawberry.field(description="False refuses its tokens and download links.")


@strawberry.type(description="The account changed.")
class AccountPayload:
    account: AccountType | None = strawberry.field(description="As it is now; null when refused.")
    user_errors: list[UserError] = refusals()


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description="Switch an account off (its tokens and links stop working) or on again "
        "(ADMIN; not one's own)."
    )
    def set_account_active(
        self, info: Info, input: Annotated[SetAccountActiveInput, INPUT]
    ) -> AccountPayload | None:
        ctx = info.context
        actor = ctx.require(Role.ADMIN, what="setAccountActive")
        result, errors = ctx.mutate(
            lambda: set_active(ctx.db, actor, parse_id(input.account_id, "Account"), input.active)
        )
        return AccountPayload(
            account=AccountType.of(result) if result else None, user_errors=errors
        )

    @strawberry.mutation(description="Create an account and its first token (ADMIN).")
    def create_account(
        self, info: Info, input: Annotated[CreateAccountInput, INPUT]
    ) -> CreateAccountPayload | None:
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
