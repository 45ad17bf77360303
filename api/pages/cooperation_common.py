"""What the cooperation pages (price checks, sweeps, the quarterly report) share: who may
open them, by the policy's action, and the county outlines their maps draw."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import geopandas as gpd
from sqlalchemy.orm import Session

from api.deps import PageUser
from api.pages.refused import FOR_COOPERATION, PageRefusedError
from gridmgmt.policy import Action, allows
from gridmgmt.services.rules._common import all_county_shapes
from gridmgmt.services.users import UserInfo

__all__ = ["county_names", "county_outlines", "page_user_for"]


def page_user_for(action: Action) -> Callable[[UserInfo], UserInfo]:
    """A page dependency: the logged-in user if their role may ``action``, else the 403 page."""

    def dependency(user: PageUser) -> UserInfo:
        if not allows(user.role, action):
            raise PageRefusedError(user, FOR_COOPERATION)
        return user

    return dependency


def county_outlines(session: Session, codes: Iterable[str]) -> gpd.GeoDataFrame:
    """The outlines (public administrative geography) of ``codes``, for a map."""
    wanted = set(codes)
    shapes = all_county_shapes(session)
    return shapes[shapes["code"].isin(wanted)].reset_index(drop=True)


def county_names(session: Session) -> dict[str, str]:
    """Every stored county's name by code (public administrative geography)."""
    shapes = all_county_shapes(session)
    return dict(zip(shapes["code"], shapes["name"], strict=True))
