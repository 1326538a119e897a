"""The staff UI (HTML) and the JSON API routers, in the order they are mounted."""

from fastapi import APIRouter

from api.routes import v1
from api.staff import account, acting_for, auth, dashboard, files, settings, staff_admin

STAFF_ROUTERS: list[APIRouter] = [
    auth.router,
    dashboard.router,
    acting_for.router,
    settings.router,
    staff_admin.router,
    account.router,
    files.router,
    v1.router,
]
