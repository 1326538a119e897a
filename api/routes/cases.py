"""JSON API for cases: `/api/v1/cases` — list, open, read, change, participants, payers,
diagnoses — and `/api/v1/search`, `/api/v1/diagnosis-codes`.

Every route answers problem+json on bad input and changes nothing. A case the caller may
not see is a 404 like one of another practice; an action the caller's access does not
include (a supervisor changing a case, an admin reading diagnoses) is a 403. Diagnoses of a
case that does not use them (consultation and workshop cases by default) are a 404.
Clinical and billing parts are left out of a case for callers without those grants.
Every read and write is audited with the case ids.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.auth import Authenticated, CurrentStaff, today_of
from api.case_params import parse_case_filter
from api.deps import Audit, Uow
from api.routing import AppRoute
from core.db import UnitOfWork
from core.errors import InvalidInput
from models.schemas.case import (
    CaseCreate,
    CasePageRead,
    CaseRead,
    CaseUpdate,
    CodeRead,
    DiagnosisCreate,
    DiagnosisEnd,
    JoinerIn,
    ParticipantLeave,
    ParticipantReplace,
    ParticipantUpdate,
    PayerCreate,
    PayerEnd,
    PersonHitRead,
    SearchGroupRead,
    SearchIn,
    SearchRead,
)
from services.access import Action
from services.cases import commands, diagnoses, payers
from services.cases.queries import list_cases
from services.cases.records import load_case
from services.cases.search import search as run_search
from services.cases.views import case_read, list_item

router = APIRouter(route_class=AppRoute, prefix="/api/v1", tags=["cases"])


def joiner(body: JoinerIn) -> commands.Joiner:
    return commands.Joiner(
        person_id=body.person_id, person=body.person, role=body.role, joined_on=body.joined_on
    )


async def _read(
    request: Request, uow: UnitOfWork, me: Authenticated, case_id: uuid.UUID
) -> JSONResponse:
    case, grants = await load_case(uow, me.actor, case_id)
    view = await case_read(
        uow, me.actor, case, grants, today_of(request, me), me.settings.minor_age_of_consent
    )
    return JSONResponse(view.model_dump(mode="json", exclude_unset=True))


@router.get("/cases", name="api.cases_list", response_model=CasePageRead)
async def cases_list(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> CasePageRead:
    filt, errors = parse_case_filter(request.query_params)
    if errors:
        raise InvalidInput("Some filters are not valid", field_errors=errors)
    page = await list_cases(uow, me.actor, filt)
    audit.subject("case", [r.case.id for r in page.rows])
    return CasePageRead(
        items=[list_item(r) for r in page.rows],
        next_cursor=str(page.next_cursor) if page.next_cursor else None,
    )


@router.post("/cases", name="api.cases_create", response_model=CaseRead, status_code=201)
async def cases_create(
    request: Request, body: CaseCreate, uow: Uow, me: CurrentStaff, audit: Audit
) -> JSONResponse:
    provider = body.primary_provider_id or me.actor.acting_for_id or me.member.id
    case = await commands.open_case(
        uow,
        me.actor,
        commands.CaseOpen(
            kind=body.kind,
            primary_provider_id=provider,
            participants=[joiner(j) for j in body.participants],
            name=body.name,
            relationship_label=body.relationship_label,
            supervisor_id=body.supervisor_id,
            identified_index=body.identified_index,
            opened_on=body.opened_on,
        ),
        today_of(request, me),
    )
    audit.subject("case", [case.id])
    response = await _read(request, uow, me, case.id)
    response.status_code = 201
    return response


@router.get("/cases/{case_id}", name="api.cases_get", response_model=CaseRead)
async def cases_get(
    request: Request, case_id: uuid.UUID, uow: Uow, me: CurrentStaff, audit: Audit
) -> JSONResponse:
    audit.subject("case", [case_id])
    return await _read(request, uow, me, case_id)


@router.patch("/cases/{case_id}", name="api.cases_update", response_model=CaseRead)
async def cases_update(
    request: Request, case_id: uuid.UUID, body: CaseUpdate, uow: Uow, me: CurrentStaff,
    audit: Audit,
) -> JSONResponse:  # fmt: skip
    audit.subject("case", [case_id])
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case, for_update=True)
    caps = body.capabilities or {}
    unknown = set(caps) - {"diagnoses", "treatment_plans", "superbills", "claims"}
    if unknown:
        raise InvalidInput(
            "Unknown capability",
            field_errors={"capabilities": "Use diagnoses, treatment_plans, superbills, claims."},
        )
    await commands.update_case(
        uow,
        me.actor,
        case,
        commands.CaseEdit(
            name=body.name,
            relationship_label=body.relationship_label,
            primary_provider_id=body.primary_provider_id,
            supervisor_id=body.supervisor_id,
            clear_supervisor=body.clear_supervisor,
            identified_person_id=body.identified_person_id,
            cap_diagnoses=caps.get("diagnoses"),
            cap_treatment_plans=caps.get("treatment_plans"),
            cap_superbills=caps.get("superbills"),
            cap_claims=caps.get("claims"),
        ),
    )
    if body.status == "closed":
        await commands.close_case(uow, case, body.closed_on or today_of(request, me))
    elif body.status == "open":
        await commands.reopen_case(uow, case)
    elif body.status is not None:
        raise InvalidInput("Unknown status", field_errors={"status": "Use open or closed."})
    return await _read(request, uow, me, case_id)


@router.post("/cases/{case_id}/participants", name="api.participants_add", status_code=201)
async def participants_add(
    request: Request, case_id: uuid.UUID, body: JoinerIn, uow: Uow, me: CurrentStaff,
    audit: Audit,
) -> JSONResponse:  # fmt: skip
    audit.subject("case", [case_id])
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case, for_update=True)
    await commands.add_participant(uow, me.actor, case, joiner(body), today_of(request, me))
    response = await _read(request, uow, me, case_id)
    response.status_code = 201
    return response


@router.post("/cases/{case_id}/participants/{person_id}/leave", name="api.participants_leave")
async def participants_leave(
    request: Request, case_id: uuid.UUID, person_id: uuid.UUID, body: ParticipantLeave,
    uow: Uow, me: CurrentStaff, audit: Audit,
) -> JSONResponse:  # fmt: skip
    audit.subject("case", [case_id])
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case, for_update=True)
    await commands.end_participation(uow, case, person_id, body.left_on, today_of(request, me))
    return await _read(request, uow, me, case_id)


@router.post("/cases/{case_id}/participants/{person_id}/replace", name="api.participants_replace")
async def participants_replace(
    request: Request, case_id: uuid.UUID, person_id: uuid.UUID, body: ParticipantReplace,
    uow: Uow, me: CurrentStaff, audit: Audit,
) -> JSONResponse:  # fmt: skip
    audit.subject("case", [case_id])
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case, for_update=True)
    on = body.on or today_of(request, me)
    await commands.replace_participant(
        uow, me.actor, case, person_id, joiner(body.replacement), on, today_of(request, me)
    )
    return await _read(request, uow, me, case_id)


@router.patch("/cases/{case_id}/participants/{person_id}", name="api.participants_update")
async def participants_update(
    request: Request, case_id: uuid.UUID, person_id: uuid.UUID, body: ParticipantUpdate,
    uow: Uow, me: CurrentStaff, audit: Audit,
) -> JSONResponse:  # fmt: skip
    audit.subject("case", [case_id])
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case, for_update=True)
    await commands.update_participant(
        uow, case, person_id, role=body.role, portal_access=body.portal_access,
        reminder_preference=body.reminder_preference, onboarding_state=body.onboarding_state,
    )  # fmt: skip
    return await _read(request, uow, me, case_id)


@router.post("/cases/{case_id}/payers", name="api.payers_add", status_code=201)
async def payers_add(
    request: Request, case_id: uuid.UUID, body: PayerCreate, uow: Uow, me: CurrentStaff,
    audit: Audit,
) -> JSONResponse:  # fmt: skip
    audit.subject("case", [case_id])
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case_billing, for_update=True)
    await payers.add_payer(
        uow,
        me.actor,
        case,
        payers.PayerIn(
            person_id=body.person_id, organization_id=body.organization_id, covers=body.covers,
            share=body.share_percent, collection_mode=body.collection_mode,
            effective_from=body.effective_from, effective_to=body.effective_to,
        ),
        today_of(request, me),
    )  # fmt: skip
    response = await _read(request, uow, me, case_id)
    response.status_code = 201
    return response


@router.post("/cases/{case_id}/payers/{payer_id}/end", name="api.payers_end")
async def payers_end(
    request: Request, case_id: uuid.UUID, payer_id: uuid.UUID, body: PayerEnd, uow: Uow,
    me: CurrentStaff, audit: Audit,
) -> JSONResponse:  # fmt: skip
    audit.subject("case", [case_id])
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case_billing, for_update=True)
    await payers.end_payer(uow, case, payer_id, body.effective_to)
    return await _read(request, uow, me, case_id)


@router.post("/cases/{case_id}/diagnoses", name="api.diagnoses_add", status_code=201)
async def diagnoses_add(
    request: Request, case_id: uuid.UUID, body: DiagnosisCreate, uow: Uow, me: CurrentStaff,
    audit: Audit,
) -> JSONResponse:  # fmt: skip
    audit.subject("case", [case_id])
    case, _ = await load_case(uow, me.actor, case_id, Action.change_clinical, for_update=True)
    await diagnoses.add_diagnosis(
        uow, case, person_id=body.person_id, code=body.code, rank=body.rank,
        active_from=body.active_from or today_of(request, me),
    )  # fmt: skip
    response = await _read(request, uow, me, case_id)
    response.status_code = 201
    return response


@router.get("/cases/{case_id}/diagnoses", name="api.diagnoses_list")
async def diagnoses_list(
    request: Request, case_id: uuid.UUID, uow: Uow, me: CurrentStaff, audit: Audit
) -> JSONResponse:
    audit.subject("case", [case_id])
    case, grants = await load_case(uow, me.actor, case_id, Action.see_clinical)
    diagnoses.require_diagnoses(case)
    view = await case_read(
        uow, me.actor, case, grants, today_of(request, me), me.settings.minor_age_of_consent
    )
    return JSONResponse([d.model_dump(mode="json") for d in view.diagnoses or []])


@router.post("/cases/{case_id}/diagnoses/{diagnosis_id}/end", name="api.diagnoses_end")
async def diagnoses_end(
    request: Request, case_id: uuid.UUID, diagnosis_id: uuid.UUID, body: DiagnosisEnd,
    uow: Uow, me: CurrentStaff, audit: Audit,
) -> JSONResponse:  # fmt: skip
    audit.subject("case", [case_id])
    case, _ = await load_case(uow, me.actor, case_id, Action.change_clinical, for_update=True)
    await diagnoses.end_diagnosis(uow, case, diagnosis_id, body.active_to)
    return await _read(request, uow, me, case_id)


@router.get("/diagnosis-codes", name="api.diagnosis_codes", response_model=list[CodeRead])
async def diagnosis_codes(request: Request, uow: Uow, me: CurrentStaff) -> list[CodeRead]:
    """The shipped ICD-10-CM list (F codes, common Z and R codes). Reference data, no PHI."""
    q = request.query_params.get("q", "")[:80]
    return [
        CodeRead(code=c.code, description=c.description)
        for c in await diagnoses.search_codes(uow, q)
    ]


@router.post("/search", name="api.search", response_model=SearchRead)
async def search(body: SearchIn, uow: Uow, me: CurrentStaff, audit: Audit) -> SearchRead:
    """People and cases by name fragments, email or phone (typo-tolerant). The query is in
    the body, never the URL."""
    found = await run_search(uow, me.actor, body.q)
    case_ids = [r.case.id for g in found.groups for r in g.cases]
    audit.subject("search_result", case_ids + [p.id for p in found.people])
    return SearchRead(
        query=found.query,
        people=[
            PersonHitRead(
                id=p.id, name=p.name, list_status=p.list_status, email=p.email, phone=p.phone
            )
            for p in found.people
        ],
        groups=[
            SearchGroupRead(kind=g.key, label=g.label, cases=[list_item(r) for r in g.cases])
            for g in found.groups
        ],
    )
