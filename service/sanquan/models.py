"""Every table of the service, imported in one place for migrations and tooling."""

from sanquan.auth.models import Account, ApiToken
from sanquan.db import Base
from sanquan.exports.models import ExportLink
from sanquan.findings.models import Finding, ProgressNote
from sanquan.institutions.models import Institution, InstitutionAlias
from sanquan.review.models import (
    IndicatorOutcome,
    InstitutionOutcome,
    PanelMember,
    ReviewSession,
    Score,
    ScoreRevision,
    SessionInstitution,
)
from sanquan.rotation.models import RotationConstraint, RotationEntry, RotationPlan
from sanquan.tables.models import (
    PlanTask,
    ProgressReport,
    ResponsibleUnit,
    TaskUnit,
    WorkPlan,
)

__all__ = [
    "Account",
    "ApiToken",
    "Base",
    "ExportLink",
    "Finding",
    "IndicatorOutcome",
    "Institution",
    "InstitutionAlias",
    "InstitutionOutcome",
    "PanelMember",
    "PlanTask",
    "ProgressNote",
    "ProgressReport",
    "ResponsibleUnit",
    "ReviewSession",
    "RotationConstraint",
    "RotationEntry",
    "RotationPlan",
    "Score",
    "ScoreRevision",
    "SessionInstitution",
    "TaskUnit",
    "WorkPlan",
]
