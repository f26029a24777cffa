"""The ASGI application for uvicorn: settings from the environment."""

from servicedesk.web.app import create_app

app = create_app()
