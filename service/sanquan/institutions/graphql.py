"""GraphQL for the institution pool: the directory is readable by every signed-in user;
changing it is the commission's (ADMIN) job."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import or_, select

from sanquan import limits
from sanquan.api.bounds import Code, Cursor, PageSize, bounded, bounded_argument
from sanquan.api.context import Info
from sanquan.api.errors import UserError
from sanquan.api.pagination import Connection, paginate
from sanquan.auth.models import Role
from sanquan.institutions import service
from sanquan.institutions.models import Institution, InstitutionAlias


@strawberry.type(name="Institution", description="A higher-education institution (高校).")
class InstitutionType:
    code: str = strawberry.field(description="10-digit MOE institution code (学校标识码).")
    name: str
    authority: str = strawberry.field(description="Supervising authority (主管部门).")
    level: str = strawberry.field(description="本科 or 专科.")
    category: str
    category_inferred: bool = strawberry.field(
        description="True when the category was guessed from the name and awaits correction."
    )
    pilot_batch: int | None = strawberry.field(
        description="National 三全育人 pilot batch (1 or 2), if any."
    )
    pilot_departments: list[str]
    active: bool
    aliases: list[str] = strawberry.field(description="Older names that still identify it.")

    @classmethod
    def of(cls, row: Institution) -> InstitutionType:
        return cls(
            code=row.code,
            name=row.name,
            authority=row.authority,
            level=row.level,
            category=row.category,
            category_inferred=row.category_inferred,
            pilot_batch=row.pilot_batch,
            pilot_departments=list(row.pilot_departments or ()),
            active=row.active,
            aliases=[a.name for a in row.aliases],
        )


@strawberry.input
class InstitutionFields:
    name: str | None = bounded(limits.NAME, default=None)
    authority: str | None = bounded(limits.SHORT_TEXT, default=None)
    level: str | None = bounded(limits.LABEL, default=None)
    category: str | None = bounded(limits.LABEL, default=None)
    pilot_batch: int | None = bounded(limits.PILOT_BATCH, "1, 2, or 0 for none.", default=None)
    pilot_departments: list[str] | None = bounded(limits.DEPARTMENT_LIST, default=None)
    active: bool | None = None
    aliases: list[str] | None = bounded(limits.ALIAS_LIST, default=None)

    def data(self) -> service.InstitutionData:
        return service.InstitutionData(
            name=self.name,
            authority=self.authority,
            level=self.level,
            category=self.category,
            pilot_batch=self.pilot_batch,
            pilot_departments=self.pilot_departments,
            active=self.active,
            aliases=self.aliases,
        )


@strawberry.input
class CreateInstitutionInput(InstitutionFields):
    code: str = bounded(limits.CODE)


@strawberry.input
class UpdateInstitutionInput(InstitutionFields):
    code: str = bounded(limits.CODE)


@strawberry.input
class DeleteInstitutionInput:
    code: str = bounded(limits.CODE)


@strawberry.input
class ImportInstitutionsInput:
    csv: str = bounded(limits.CSV, "CSV with header code,name,authority,level,category.")


@strawberry.type
class InstitutionPayload:
    institution: InstitutionType | None
    user_errors: list[UserError]


@strawberry.type
class DeleteInstitutionPayload:
    deleted_code: str | None
    user_errors: list[UserError]


@strawberry.type
class ImportInstitutionsPayload:
    created: list[str]
    updated: list[str]
    user_errors: list[UserError]


@strawberry.type
class InstitutionQuery:
    @strawberry.field(description="The institution pool, ordered by code.")
    def institutions(
        self,
        info: Info,
        first: PageSize = None,
        after: Cursor = None,
        search: Annotated[
            str | None,
            bounded_argument(limits.SEARCH, "Part of a current or former name, or a code prefix."),
        ] = None,
        active: bool | None = None,
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
            first,
            after,
        )

    @strawberry.field
    def institution(self, info: Info, code: Code) -> InstitutionType | None:
        row = info.context.db.scalar(select(Institution).where(Institution.code == code.strip()))
        return InstitutionType.of(row) if row else None


@strawberry.type
class InstitutionMutation:
    @strawberry.mutation(description="Add an institution to the pool (ADMIN).")
    def create_institution(
        self, info: Info, input: CreateInstitutionInput
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
        self, info: Info, input: UpdateInstitutionInput
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
        self, info: Info, input: DeleteInstitutionInput
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
        self, info: Info, input: ImportInstitutionsInput
    ) -> ImportInstitutionsPayload | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="importInstitutions")
        report, errors = ctx.mutate(lambda: service.import_csv(ctx.db, input.csv))
        return ImportInstitutionsPayload(
            created=report.created if report else [],
            updated=report.updated if report else [],
            user_errors=errors,
        )
