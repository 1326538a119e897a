"""The staff UI (HTML) and the JSON API routers, in the order they are mounted."""

from fastapi import APIRouter

from api.portal import items as portal_items
from api.portal import pages as portal_pages
from api.portal import passkeys as portal_passkeys
from api.routes import cases as cases_api
from api.routes import people as people_api
from api.routes import scheduling as scheduling_api
from api.routes import tasks as tasks_api
from api.routes import v1
from api.staff import (
    account,
    acting_for,
    auth,
    calendar,
    case_record,
    clients,
    dashboard,
    files,
    intake,
    library,
    people,
    portal_invites,
    scheduling_setup,
    series,
    settings,
    staff_admin,
    tasks,
    workflows,
)

STAFF_ROUTERS: list[APIRouter] = [
    auth.router,
    dashboard.router,
    acting_for.router,
    settings.router,
    scheduling_setup.router,
    library.router,
    staff_admin.router,
    account.router,
    files.router,
    tasks.router,
    clients.router,
    calendar.router,
    series.router,
    case_record.router,
    portal_invites.router,
    intake.router,
    people.router,
    workflows.router,
    v1.router,
    tasks_api.router,
    cases_api.router,
    people_api.router,
    scheduling_api.router,
    portal_pages.router,
    portal_items.router,
    portal_passkeys.router,
]
