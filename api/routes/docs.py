"""OpenAPI docs (Swagger UI) with its scripts served locally, not from a CDN.

There is no ReDoc page: its bundle loads a logo from cdn.redoc.ly.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from api.security_headers import csp_nonce, with_nonce
from api.static import DOCS_URL

router = APIRouter(include_in_schema=False)
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def _openapi_url(request: Request) -> str:
    return f"{request.scope.get('root_path', '')}{request.app.openapi_url}"


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for the JSON API ("Authorize" logs in with the password flow)."""
    page = get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} API",
        oauth2_redirect_url=OAUTH2_REDIRECT,
        swagger_js_url=f"{DOCS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_URL}/favicon.png",
        # The validator badge would call validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )
    return _nonced(page, request)


def _nonced(page: HTMLResponse, request: Request) -> HTMLResponse:
    """FastAPI's page with its inline start-up script allowed by the CSP nonce."""
    html = with_nonce(bytes(page.body).decode(), csp_nonce(request))
    return HTMLResponse(html, status_code=page.status_code)


@router.get(OAUTH2_REDIRECT)
def swagger_ui_redirect(request: Request) -> HTMLResponse:
    """The OAuth2 redirect page Swagger UI needs."""
    return _nonced(get_swagger_ui_oauth2_redirect_html(), request)
