"""Who may do what: one policy function, `can(actor, action, resource)` (decisions.md
"Who sees what", ROLE-*). Every route and service asks it; nothing else decides.

Function-level refusals (a provider opening staff settings) answer 403; a record outside
the viewer's reach answers 404 like a record of another practice (`NotFound`).
`staff_reach(viewer, provider)` is the provider-level relation that record access builds
on (the case_access relation of later work joins it): self, the associates one
supervises, the providers an admin acts for; owners reach everyone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from core.errors import PermissionDenied
from models.orm.staff import StaffRole
from services.practice_settings import AdminArea


class Action(StrEnum):
    use_app = "use_app"
    manage_own_account = "manage_own_account"
    manage_practice_profile = "manage_practice_profile"
    manage_practice_security = "manage_practice_security"  # idle timeout, TOTP, admin areas
    manage_staff = "manage_staff"
    grant_owner_role = "grant_owner_role"
    manage_acting_for_grants = "manage_acting_for_grants"
    view_audit_log = "view_audit_log"
    act_for = "act_for"  # resource: the provider's staff id
    view_staff_directory = "view_staff_directory"
    read_file = "read_file"  # resource: the uploader's staff id
    use_tasks = "use_tasks"  # the Needs-attention dashboard (each task is checked by see_task)
    see_task = "see_task"  # resource: a TaskHolders (assignee, opener); also managing it
    use_workflow_console = "use_workflow_console"  # the operators' view of executions
    manage_library = "manage_library"  # documents & forms, the intake packet (FORM-10)
    create_case = "create_case"  # resource: the primary provider's staff id
    schedule_for = "schedule_for"  # resource: the provider whose time an appointment holds
    see_case = "see_case"  # resource: a CaseReach (the viewer's grants on that case)
    change_case = "change_case"  # details, participants, relationships of its people
    see_clinical = "see_clinical"  # diagnoses (notes later): never admins
    change_clinical = "change_clinical"
    see_case_billing = "see_case_billing"  # who pays (invoices later): not supervision alone
    change_case_billing = "change_case_billing"


@dataclass(frozen=True)
class TaskHolders:
    """Who a task belongs to, for `can(actor, Action.see_task, …)`."""

    assignee_id: uuid.UUID
    opened_by_staff_id: uuid.UUID | None = None


class CaseGrant(StrEnum):
    """Why a viewer reaches a case (decisions.md "Who sees what")."""

    owner = "owner"
    own = "own"  # primary provider (appointments add to it)
    supervision = "supervision"  # case supervisor, or supervisor of the associate who has it
    acting_for = "acting_for"  # an admin working for a provider who has it


@dataclass(frozen=True)
class CaseReach:
    """The viewer's grants on one case, for `can(actor, Action.see_case, …)`."""

    grants: frozenset[CaseGrant]


_CASE_ACTIONS: dict[str, frozenset[CaseGrant]] = {
    "see_case": frozenset(CaseGrant),
    "change_case": frozenset({CaseGrant.owner, CaseGrant.own, CaseGrant.acting_for}),
    "see_clinical": frozenset({CaseGrant.owner, CaseGrant.own, CaseGrant.supervision}),
    "change_clinical": frozenset({CaseGrant.owner, CaseGrant.own}),
    "see_case_billing": frozenset({CaseGrant.owner, CaseGrant.own, CaseGrant.acting_for}),
    "change_case_billing": frozenset({CaseGrant.owner, CaseGrant.own, CaseGrant.acting_for}),
}


@dataclass(frozen=True)
class Actor:
    staff_id: uuid.UUID
    practice_id: uuid.UUID
    role: StaffRole
    display_name: str
    admin_areas: frozenset[AdminArea] = frozenset()
    acting_for_grants: frozenset[uuid.UUID] = frozenset()  # admins: providers they may act for
    supervisees: frozenset[uuid.UUID] = frozenset()  # associates supervised at provider level
    acting_for_id: uuid.UUID | None = None  # the provider an admin is working for right now
    session_id: uuid.UUID | None = None  # None when signed in with an API token

    @property
    def is_owner(self) -> bool:
        return self.role is StaffRole.owner

    @property
    def is_admin(self) -> bool:
        return self.role is StaffRole.admin


def _admin_may(actor: Actor, area: AdminArea) -> bool:
    return actor.is_admin and area in actor.admin_areas


def can(actor: Actor, action: Action, resource: object | None = None) -> bool:
    if action in (
        Action.use_app,
        Action.manage_own_account,
        Action.view_staff_directory,
        Action.use_tasks,
    ):
        return True
    if action.value in _CASE_ACTIONS:
        return isinstance(resource, CaseReach) and bool(
            resource.grants & _CASE_ACTIONS[action.value]
        )
    if action in (Action.create_case, Action.schedule_for):
        return isinstance(resource, uuid.UUID) and (
            actor.is_owner
            or (not actor.is_admin and resource == actor.staff_id)
            or (actor.is_admin and resource == actor.acting_for_id)
        )
    if action is Action.see_task:
        return isinstance(resource, TaskHolders) and sees_task(actor, resource)
    if action is Action.read_file:
        return actor.is_owner or (resource is not None and resource == actor.staff_id)
    if action is Action.act_for:
        return (
            isinstance(resource, uuid.UUID)
            and resource != actor.staff_id
            and (actor.is_owner or resource in actor.acting_for_grants)
        )
    if actor.is_owner:
        return True
    if action is Action.manage_practice_profile:
        return _admin_may(actor, AdminArea.practice_profile)
    if action is Action.manage_staff:
        return _admin_may(actor, AdminArea.staff)
    if action is Action.view_audit_log:
        return _admin_may(actor, AdminArea.audit_log)
    if action is Action.use_workflow_console:
        return _admin_may(actor, AdminArea.workflow_console)
    if action is Action.manage_library:
        return _admin_may(actor, AdminArea.library)
    # manage_practice_security, grant_owner_role, manage_acting_for_grants: owners only
    return False


def require(actor: Actor, action: Action, resource: object | None = None) -> None:
    if not can(actor, action, resource):
        raise PermissionDenied("Your role does not include this. Ask the practice owner.")


def staff_reach(viewer: Actor, provider_id: uuid.UUID) -> bool:
    """May `viewer` reach records that belong to `provider_id`?"""
    if viewer.is_owner:
        return True
    if provider_id == viewer.staff_id:
        return not viewer.is_admin  # admins are never providers (ROLE-5)
    if provider_id in viewer.supervisees:
        return True
    return viewer.is_admin and provider_id in viewer.acting_for_grants


def reach(viewer: Actor) -> frozenset[uuid.UUID] | None:
    """The provider ids `viewer` reaches, for SQL filters; None means every provider."""
    if viewer.is_owner:
        return None
    own = frozenset() if viewer.is_admin else frozenset({viewer.staff_id})
    grants = viewer.acting_for_grants if viewer.is_admin else frozenset()
    return own | viewer.supervisees | grants


def sees_task(viewer: Actor, task: TaskHolders) -> bool:
    """Tasks are seen by their assignee, whoever opened them, and everyone who reaches the
    assignee (owners, supervisors of an associate, admins acting for a provider). Titles
    carry no PHI beyond what the assignee may see (decisions.md "Tasks"); the case issue
    adds record access for tasks whose subject is a case. `services.tasks.queries`
    filters lists with the same rule in SQL."""
    if viewer.is_owner or task.assignee_id == viewer.staff_id:
        return True
    if task.opened_by_staff_id is not None and task.opened_by_staff_id == viewer.staff_id:
        return True
    return staff_reach(viewer, task.assignee_id)


# The reasons that make a case the provider's own (decisions.md: "own case" = primary
# provider or an appointment in it); an admin acting for a provider sees those, not the
# cases the provider only supervises.
OWN_CASE_REASONS = frozenset({"primary_provider", "appointment"})


def case_scope(viewer: Actor) -> frozenset[uuid.UUID] | None:
    """The staff ids whose `case_access` rows open a case to `viewer`; None means every case.

    Providers and associates: themselves and the associates they supervise. Admins: only the
    provider they are working for right now (acting-for is an explicit, audited context;
    an admin working as themselves sees no client records). Owners: everything."""
    if viewer.is_owner:
        return None
    if viewer.is_admin:
        return frozenset({viewer.acting_for_id}) if viewer.acting_for_id else frozenset()
    return frozenset({viewer.staff_id}) | viewer.supervisees


def case_grants(viewer: Actor, rows: list[tuple[uuid.UUID, str]]) -> CaseReach:
    """The viewer's grants on a case from its `case_access` rows (staff id, reason)."""
    if viewer.is_owner:
        return CaseReach(frozenset({CaseGrant.owner}))
    grants: set[CaseGrant] = set()
    for staff_id, reason in rows:
        if viewer.is_admin:
            if staff_id == viewer.acting_for_id and reason in OWN_CASE_REASONS:
                grants.add(CaseGrant.acting_for)
        elif staff_id == viewer.staff_id:
            grants.add(CaseGrant.supervision if reason == "case_supervisor" else CaseGrant.own)
        elif staff_id in viewer.supervisees:
            grants.add(CaseGrant.supervision)
    return CaseReach(frozenset(grants))
