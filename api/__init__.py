"""The HTTP API (FastAPI): routes, the actor dependency, error handlers."""
