"""Keeping the institution pool: create, change, retire and import institutions."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from sanquan.errors import DomainError, ErrorCode, Localized, clean_text, invalid, raise_all
from sanquan.institutions.codes import infer_category, is_valid_code
from sanquan.institutions.models import Institution, InstitutionAlias
from sanquan.limits import (
    ALIAS_LIST,
    DEPARTMENT_LIST,
    LABEL_LENGTH,
    NAME_LENGTH,
    SHORT_TEXT_LENGTH,
)
from sanquan.review.models import SessionInstitution


@dataclass(frozen=True)
class InstitutionData:
    """What a caller may set on an institution; ``None`` leaves a field as it is."""

    name: str | None = None
    authority: str | None = None
    level: str | None = None
    category: str | None = None
    pilot_batch: int | None = None
    pilot_departments: Sequence[str] | None = None
    active: bool | None = None
    aliases: Sequence[str] | None = None


def check_code(code: str, path: Sequence[str | int] = ("code",)) -> str:
    code = code.strip()
    if not is_valid_code(code):
        raise DomainError(ErrorCode.INVALID_INSTITUTION_CODE, path, value=code)
    return code


def get_institution(db: Session, code: str, path: Sequence[str | int] = ("code",)) -> Institution:
    """The institution with ``code``, or a typed error naming ``path``."""
    code = check_code(code, path)
    found = db.scalar(select(Institution).where(Institution.code == code))
    if found is None:
        raise DomainError(ErrorCode.UNKNOWN_INSTITUTION, path, value=code)
    return found


def create_institution(db: Session, code: str, data: InstitutionData) -> Institution:
    code = check_code(code)
    existing = db.scalar(select(Institution).where(Institution.code == code))
    if existing is not None:
        raise DomainError(
            ErrorCode.DUPLICATE_INSTITUTION, ("code",), value=code, name=existing.name
        )
    clean_text(data.name or "", ("name",), NAME_LENGTH, required=True)
    institution = Institution(code=code, name="")
    _apply(db, institution, data)
    db.add(institution)
    db.flush()
    return institution


def update_institution(db: Session, code: str, data: InstitutionData) -> Institution:
    institution = get_institution(db, code)
    _apply(db, institution, data)
    db.flush()
    return institution


def delete_institution(db: Session, code: str) -> None:
    """Only an institution that never took part in a review may go; others are retired
    with ``active = False`` so their history stays readable."""
    institution = get_institution(db, code)
    in_use = db.scalar(select(exists().where(SessionInstitution.institution_id == institution.id)))
    if in_use:
        raise DomainError(ErrorCode.INSTITUTION_IN_USE, ("code",), name=institution.name)
    db.delete(institution)
    db.flush()


def _apply(db: Session, institution: Institution, data: InstitutionData) -> None:
    """Set the given fields, each checked against the rules and the column that stores it."""
    if data.name is not None:
        institution.name = clean_text(data.name, ("name",), NAME_LENGTH, required=True)
    if data.authority is not None:
        institution.authority = clean_text(data.authority, ("authority",), SHORT_TEXT_LENGTH)
    if data.level is not None:
        institution.level = clean_text(data.level, ("level",), LABEL_LENGTH)
    category = clean_text(data.category or "", ("category",), LABEL_LENGTH)
    if category:
        institution.category, institution.category_inferred = category, False
    elif not institution.category:
        institution.category, institution.category_inferred = infer_category(institution.name), True
    if data.pilot_batch is not None:
        if data.pilot_batch not in (0, 1, 2):
            raise invalid(
                ("pilotBatch",),
                "试点批次只能是 1 或 2(0 表示非试点)",
                "the pilot batch is 1 or 2 (0 for none)",
            )
        institution.pilot_batch = data.pilot_batch or None
    if data.pilot_departments is not None:
        raise_all(DEPARTMENT_LIST.problems(data.pilot_departments, ("pilotDepartments",)))
        institution.pilot_departments = [
            clean_text(d, ("pilotDepartments", i), NAME_LENGTH)
            for i, d in enumerate(data.pilot_departments)
            if d.strip()
        ]
    if data.active is not None:
        institution.active = data.active
    if data.aliases is not None:
        _set_aliases(db, institution, data.aliases)


def _set_aliases(db: Session, institution: Institution, aliases: Sequence[str]) -> None:
    """An alias names one institution only: two schools answering to one old name would
    make the name useless."""
    raise_all(ALIAS_LIST.problems(aliases, ("aliases",)))
    wanted = []
    for index, alias in enumerate(aliases):
        name = clean_text(alias, ("aliases", index), NAME_LENGTH)
        if name and name != institution.name and name not in wanted:
            wanted.append(name)
    taken = db.execute(
        select(InstitutionAlias.name, Institution.name)
        .join(Institution)
        .where(InstitutionAlias.name.in_(wanted), Institution.code != institution.code)
    ).all()
    if taken:
        alias, owner = taken[0]
        raise invalid(
            ("aliases", wanted.index(alias)),
            f"曾用名“{alias}”已属于“{owner}”",
            f"the former name {alias!r} already belongs to {owner}",
        )
    kept = {alias.name: alias for alias in institution.aliases}
    institution.aliases = [kept.get(name) or InstitutionAlias(name=name) for name in wanted]


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


CSV_COLUMNS = ("code", "name", "authority", "level", "category")


def import_csv(db: Session, text: str) -> ImportReport:
    """Create or update institutions from CSV (columns ``code,name,authority,level,category``,
    header required). All rows are checked first: one bad row and nothing is imported,
    and every bad row is reported."""
    columns, rows = _read_csv(text)
    missing = [c for c in ("code", "name") if c not in columns]
    if missing:
        raise DomainError(
            ErrorCode.CSV_INVALID, ("csv",), line=1, problem=f"缺少列:{', '.join(missing)}"
        )
    errors: list[DomainError] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        if not is_valid_code(code):
            errors.append(_csv_error(line, f"学校标识码“{code}”无效"))
        elif code in seen:
            errors.append(_csv_error(line, f"学校标识码 {code} 与第 {seen[code]} 行重复"))
        else:
            seen[code] = line
        if not (row.get("name") or "").strip():
            errors.append(_csv_error(line, "校名为空"))
    if not rows:
        errors.append(_csv_error(1, "没有数据行"))
    raise_all(errors)
    existing = {
        i.code: i for i in db.scalars(select(Institution).where(Institution.code.in_(seen)))
    }
    report = ImportReport()
    for row in rows:
        code = row["code"].strip()
        data = InstitutionData(
            name=row["name"],
            authority=row.get("authority") or "",
            level=row.get("level") or "",
            category=row.get("category") or "",
        )
        if code in existing:
            _apply(db, existing[code], data)
            report.updated.append(code)
        else:
            institution = Institution(code=code, name="")
            _apply(db, institution, data)
            db.add(institution)
            report.created.append(code)
    db.flush()
    return report


def _read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of ``text``; what the reader cannot parse (a field beyond its
    limit of 128 KiB, a stray quote) is an error naming the line, not a crash."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        return list(reader.fieldnames or []), list(reader)
    except csv.Error as error:
        too_long = "field larger than field limit" in str(error)
        raise DomainError(
            ErrorCode.CSV_INVALID,
            ("csv",),
            line=reader.line_num + 1,
            problem=Localized(
                f"有字段超过 {csv.field_size_limit():,} 个字符" if too_long else "格式无法解析",
                f"a field is longer than {csv.field_size_limit():,} characters"
                if too_long
                else "cannot be parsed",
            ),
        ) from None


def _csv_error(line: int, problem: str) -> DomainError:
    return DomainError(ErrorCode.CSV_INVALID, ("csv",), line=line, problem=problem)


# Facts from the data notes: older names still in use, and the first-batch national pilots.
BEIJING_ALIASES = {
    "4111013630": ("北京工商大学嘉华学院",),
    "4111014139": ("北京社会管理职业学院",),
    "4111010858": ("北京电子科技职业学院",),
}
BEIJING_FIRST_BATCH_PILOTS = ("4111010003", "4111010002", "4111010008")


def load_beijing(db: Session) -> ImportReport:
    """The 92 Beijing institutions shipped with the service, with aliases and pilot flags."""
    text = (
        resources.files("sanquan.institutions")
        .joinpath("data/beijing_heis.csv")
        .read_text(encoding="utf-8")
    )
    report = import_csv(db, text)
    for code, aliases in BEIJING_ALIASES.items():
        update_institution(db, code, InstitutionData(aliases=aliases))
    for code in BEIJING_FIRST_BATCH_PILOTS:
        update_institution(db, code, InstitutionData(pilot_batch=1))
    return report
