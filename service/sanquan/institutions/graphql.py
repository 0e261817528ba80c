"""GraphQL for the institution pool: the directory is readable by every signed-in user;
changing it is the commission's (ADMIN) job."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

import strawberry
from sqlalchemy import or_, select

from sanquan import limits
from sanquan.api.bounds import (
    INPUT,
    After,
    Before,
    Code,
    First,
    Last,
    bounded,
    bounded_argument,
)
from sanquan.api.context import Info
from sanquan.api.enums import described_enum
from sanquan.api.errors import UserError, refusals
from sanquan.api.ids import global_id
from sanquan.api.nodes import Node, by_row
from sanquan.api.pagination import Connection, Page, paginate
from sanquan.auth.models import Role
from sanquan.institutions import service
from sanquan.institutions.models import Institution, InstitutionAlias


class InstitutionLevel(StrEnum):
    """The level of education a school gives (办学层次), valued as the pool's data writes it."""

    UNDERGRADUATE = "本科"
    VOCATIONAL = "专科"

    @classmethod
    def of(cls, stored: str) -> InstitutionLevel | None:
        return next((level for level in cls if level.value == stored), None)


InstitutionLevelType = described_enum(
    InstitutionLevel,
    "The level of education an institution gives (办学层次).",
    {
        InstitutionLevel.UNDERGRADUATE: "Undergraduate (本科): a university or college "
        "awarding bachelor's degrees.",
        InstitutionLevel.VOCATIONAL: "Vocational, short-cycle (专科 / 高职): a college "
        "awarding three-year diplomas.",
    },
)


@strawberry.type(
    name="Institution",
    description="A higher-education institution (高校) of the review pool. Readable by every "
    "signed-in account.",
)
class InstitutionType(Node):
    row_id: strawberry.Private[int]
    code: str = strawberry.field(description="10-digit MOE institution code (学校标识码).")
    name: str = strawberry.field(description="The current official name, in Chinese.")
    authority: str = strawberry.field(description="Supervising authority (主管部门).")
    level: InstitutionLevelType | None = strawberry.field(  # type: ignore[valid-type]
        description="本科 or 专科; null when the pool does not record it (an import may "
        "leave it blank)."
    )
    category: str = strawberry.field(
        description="The kind of school (类别): 综合, 理工, 师范, 医药, 艺术, 财经, 政法, 语言, "
        "农林, 体育, 民族 …; sessions mixing or grouping schools compare this text."
    )
    category_inferred: bool = strawberry.field(
        description="True when the category was guessed from the name and awaits correction."
    )
    pilot_batch: int | None = strawberry.field(
        description="National 三全育人 pilot batch (1 or 2), if any."
    )
    pilot_departments: list[str] = strawberry.field(
        description="Pilot departments (试点院系) of the national 三全育人 pilot, by name."
    )
    active: bool = strawberry.field(
        description="False: retired from the pool; kept for its past reviews but not scheduled."
    )
    aliases: list[str] = strawberry.field(description="Older names that still identify it.")

    @strawberry.field(description="The institution's global id; inputs name it by `code`.")
    def id(self) -> strawberry.ID:
        return global_id("Institution", self.row_id)

    @classmethod
    def of(cls, row: Institution) -> InstitutionType:
        return cls(
            row_id=row.id,
            code=row.code,
            name=row.name,
            authority=row.authority,
            level=InstitutionLevel.of(row.level),
            category=row.category,
            category_inferred=row.category_inferred,
            pilot_batch=row.pilot_batch,
            pilot_departments=list(row.pilot_departments or ()),
            active=row.active,
            aliases=[a.name for a in row.aliases],
        )

    @classmethod
    def fetch(cls, info: Info, key: str) -> Self | None:
        """Every signed-in account reads the pool."""
        row = by_row(info.context.db, Institution, key)
        return cls.of(row) if row else None  # type: ignore[return-value]


@strawberry.input
class InstitutionFields:
    name: str | None = bounded(limits.NAME, "The official name, in Chinese.", default=None)
    authority: str | None = bounded(
        limits.SHORT_TEXT, "Supervising authority (主管部门), e.g. 教育部.", default=None
    )
    level: InstitutionLevelType | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="本科 or 专科."
    )
    category: str | None = bounded(
        limits.LABEL,
        "The kind of school (类别), e.g. 理工; when blank, a guess from the name, marked "
        "`categoryInferred`.",
        default=None,
    )
    pilot_batch: int | None = bounded(
        limits.PILOT_BATCH, "National pilot batch: 1, 2, or 0 for none.", default=None
    )
    pilot_departments: list[str] | None = bounded(
        limits.DEPARTMENT_LIST, "Pilot departments (试点院系), by name.", default=None
    )
    active: bool | None = strawberry.field(
        default=None, description="False retires it from scheduling; new institutions are active."
    )
    aliases: list[str] | None = bounded(
        limits.ALIAS_LIST, "Older names that still identify it; replaces the list.", default=None
    )

    def data(self) -> service.InstitutionData:
        return service.InstitutionData(
            name=self.name,
            authority=self.authority,
            level=InstitutionLevel(self.level).value if self.level else None,
            category=self.category,
            pilot_batch=self.pilot_batch,
            pilot_departments=self.pilot_departments,
            active=self.active,
            aliases=self.aliases,
        )


@strawberry.input(description="A new institution; a blank category is guessed from the name.")
class CreateInstitutionInput(InstitutionFields):
    code: str = bounded(limits.CODE, "Its 10-digit MOE code (学校标识码), unique.")


@strawberry.input(description="Changes to an institution; omitted fields stay as they are.")
class UpdateInstitutionInput(InstitutionFields):
    code: str = bounded(limits.CODE, "The institution to change, by code.")


@strawberry.input(description="An institution to delete.")
class DeleteInstitutionInput:
    code: str = bounded(limits.CODE, "The institution, by code.")


@strawberry.input(description="Institutions to create or update, as CSV.")
class ImportInstitutionsInput:
    csv: str = bounded(
        limits.CSV,
        "CSV with header code,name,authority,level,category; level 本科 or 专科, category "
        "blank to have it guessed.",
    )


@strawberry.type(description="The institution created or changed.")
class InstitutionPayload:
    institution: InstitutionType | None = strawberry.field(
        description="As it is now; null when refused."
    )
    user_errors: list[UserError] = refusals()


@strawberry.type(description="The institution deleted.")
class DeleteInstitutionPayload:
    deleted_code: str | None = strawberry.field(
        description="The code of the institution deleted; null when refused."
    )
    user_errors: list[UserError] = refusals()


@strawberry.type(description="What an import did; all or nothing.")
class ImportInstitutionsPayload:
    created: list[str] = strawberry.field(description="Codes of the institutions created.")
    updated: list[str] = strawberry.field(description="Codes of the institutions changed.")
    user_errors: list[UserError] = refusals()


@strawberry.type
class InstitutionQuery:
    @strawberry.field(description="The institution pool, ordered by code.")
    def institutions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        search: Annotated[
            str | None,
            bounded_argument(limits.SEARCH, "Part of a current or former name, or a code prefix."),
        ] = None,
        active: Annotated[
            bool | None,
            strawberry.argument(description="Only active (true) or retired (false) ones."),
        ] = None,
    ) -> Connection[InstitutionType]:
        query = select(Institution)
        if search:
            aliased = select(InstitutionAlias.institution_id).where(
                InstitutionAlias.name.contains(search)
            )
            query = query.where(
                or_(
                    Institution.name.contains(search),
                    Institution.code.startswith(search),
                    Institution.id.in_(aliased),
                )
            )
        if active is not None:
            query = query.where(Institution.active.is_(active))
        return paginate(
            info.context.db,
            query,
            (Institution.code,),
            lambda row: (row.code,),
            InstitutionType.of,
            Page(first, after, last, before),
        )

    @strawberry.field(description="One institution by its code; null when there is none.")
    def institution(self, info: Info, code: Code) -> InstitutionType | None:
        row = info.context.db.scalar(select(Institution).where(Institution.code == code.strip()))
        return InstitutionType.of(row) if row else None


@strawberry.type
class InstitutionMutation:
    @strawberry.mutation(description="Add an institution to the pool (ADMIN).")
    def create_institution(
        self, info: Info, input: Annotated[CreateInstitutionInput, INPUT]
    ) -> InstitutionPayload | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="createInstitution")
        row, errors = ctx.mutate(
            lambda: service.create_institution(ctx.db, input.code, input.data())
        )
        return InstitutionPayload(
            institution=InstitutionType.of(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Change an institution; omitted fields stay (ADMIN).")
    def update_institution(
        self, info: Info, input: Annotated[UpdateInstitutionInput, INPUT]
    ) -> InstitutionPayload | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="updateInstitution")
        row, errors = ctx.mutate(
            lambda: service.update_institution(ctx.db, input.code, input.data())
        )
        return InstitutionPayload(
            institution=InstitutionType.of(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Remove an institution that never took part in a review (ADMIN); "
        "retire others with active: false."
    )
    def delete_institution(
        self, info: Info, input: Annotated[DeleteInstitutionInput, INPUT]
    ) -> DeleteInstitutionPayload | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="deleteInstitution")
        _, errors = ctx.mutate(lambda: service.delete_institution(ctx.db, input.code))
        return DeleteInstitutionPayload(
            deleted_code=None if errors else input.code.strip(), user_errors=errors
        )

    @strawberry.mutation(
        description="Create or update institutions from CSV, all or nothing (ADMIN)."
    )
    def import_institutions(
        self, info: Info, input: Annotated[ImportInstitutionsInput, INPUT]
    ) -> ImportInstitutionsPayload | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="importInstitutions")
        report, errors = ctx.mutate(lambda: service.import_csv(ctx.db, input.csv))
        return ImportInstitutionsPayload(
            created=report.created if report else [],
            updated=report.updated if report else [],
            user_errors=errors,
        )
