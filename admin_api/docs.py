"""The interactive API documentation at ``/docs``, with Swagger UI served from a Python
package (fastapi-offline ships swagger-ui-dist's files), never from a CDN.

It is off unless ``HOLOS_API_DOCS=true`` (the sandbox turns it on): an operator who wants
it says so. The page loads only this origin's scripts, so its policy stays strict; Swagger
UI sets inline styles, hence ``style-src 'unsafe-inline'`` here alone.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
STATIC_PATH = f"{DOCS_PATH}/static"
ASSETS = Path(str(files("fastapi_offline") / "static"))

DOCS_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{static}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{static}/swagger-ui-bundle.js"></script>
<script src="{docs}/init.js"></script>
</body>
</html>
"""

# Relative to /docs, so the page works under a path prefix too. No validator badge: it
# would send the document to a third party.
INIT_JS = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
"""


def install_docs(app: FastAPI) -> None:
    app.mount(STATIC_PATH, StaticFiles(directory=ASSETS), name="docs-static")
    page = PAGE.format(title=f"{app.title}: API documentation", static=STATIC_PATH, docs=DOCS_PATH)

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs_page() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_CSP})

    @app.get(f"{DOCS_PATH}/init.js", include_in_schema=False)
    async def docs_init() -> Response:
        return Response(INIT_JS, media_type="text/javascript")
