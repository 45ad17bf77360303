"""``/admin``: the administrators' first page (管理首页): where each of their pages is, how
many users each role has, the tile server in use, and the latest lines of the audit log."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.pages.admin_common import render, user_for
from gridmgmt.domain import UserRole
from gridmgmt.policy import Action
from gridmgmt.services.audit import list_entries
from gridmgmt.services.users import UserInfo, actor_for, list_users

router = APIRouter()

LATEST_AUDIT_LINES = 10


@router.get("/admin", response_class=HTMLResponse)
def admin_home(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: UserInfo = user_for(Action.MANAGE_USERS),
) -> HTMLResponse:
    """Links to import, users, rule settings and the dashboard, with what each holds now."""
    actor = actor_for(user)
    active = Counter(u.role.value for u in list_users(session, actor) if u.active)
    context = {
        "users_by_role": {role.value: active.get(role.value, 0) for role in UserRole},
        "tile_url": settings.tile_url,
        "tile_crs": settings.tile_crs,
        "audit": list_entries(session, actor, limit=LATEST_AUDIT_LINES),
    }
    return render(request, "admin/home.html", user, context)
