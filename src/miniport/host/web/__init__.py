"""The host app's only FastAPI code: app factory, routes, templates, static files."""
