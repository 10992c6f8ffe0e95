"""One JSON error body everywhere: {"error", "message", "details"}.

Every refusal the API makes goes through a handler here, so a client parses one shape whatever went wrong:
malformed requests, HTTP errors, business errors (ServiceError), the workflow's refusals and the workflow
service's failures, and unexpected exceptions (a generic 500; the traceback goes to the log, never out).
Routes declare the error statuses they answer with `error_responses`, so the OpenAPI document says which.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import (
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.service import ServiceError

logger = logging.getLogger("postgate.api")

# How each refusal from the workflow's validators reads over HTTP.
UPDATE_ERRORS = {
    "InvalidState": (409, "invalid_state"),
    "StaleContent": (409, "stale_content"),
    "SeparationOfDuties": (403, "separation_of_duties"),
    "NotAnApprover": (403, "not_an_approver"),
    "AlreadyDecided": (409, "already_decided"),
    "InvalidInput": (422, "invalid_input"),
}
HTTP_ERRORS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}
# FastAPI's answer to a body it cannot read (not UTF-8); a JSON syntax error is already a validation error.
UNREADABLE_BODY = "There was an error parsing the body"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
UNAVAILABLE = "the workflow service is unreachable right now; nothing was changed, try again shortly"


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: str = Field(description="what kind of error, stable for programs: not_found, invalid_state, ...")
    message: str = Field(description="what was wrong and what to do, for people")
    details: Any = Field(default=None, description="more when there is more, e.g. each invalid field and its problem")


MEANINGS = {
    401: "not authenticated: no token or session, or an expired or revoked one",
    403: "not allowed: your role here, a workflow rule (separation of duties), or a cookie request without CSRF token",
    404: "no such object, or it belongs to a workspace you are not a member of",
    409: "the object's state does not allow it now (see message)",
    413: "the body is too large",
    415: "the content type is not one this operation takes",
    422: "the request is malformed: details names each field and its problem",
    429: "too many attempts: wait Retry-After seconds",
    502: "the workflow service failed",
    503: "a service this needs is unavailable: nothing was changed, try again after Retry-After seconds",
    504: "the workflow did not answer in time: read the object before trying again",
}


# What a route that talks to Temporal may also answer: the service failed, was unreachable, or timed out.
WORKFLOW_ERRORS = (502, 503, 504)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route (or router) for the error statuses it answers with."""
    return {status: {"model": ErrorBody, "description": MEANINGS[status]} for status in statuses}


def error_body(error: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": error, "message": message, "details": details}


def _error(status: int, error: str, message: str, details: Any = None, **kwargs: Any) -> JSONResponse:
    return JSONResponse(error_body(error, message, details), status_code=status, **kwargs)


def _too_large(scope: Scope) -> str:
    limit = scope.get(MAX_BODY_SIZE_SCOPE_KEY)
    return f"the body is larger than the {limit} bytes this operation takes; send less" if limit else "send less"


class TooLargeAsErrorBody:
    """Outermost: Starlette refuses a body whose Content-Length is over the limit with a plain-text 413 of its
    own, past the exception handlers; this gives that answer the error body too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_error_body(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                replaced = Headers(raw=message["headers"]).get("content-type", "").startswith("text/plain")
                if replaced:
                    response = _error(413, "too_large", _too_large(scope))
                    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
                    await send({"type": "http.response.body", "body": response.body})
                    return
            if not (replaced and message["type"] == "http.response.body"):
                await send(message)

        await self.app(scope, receive, send_error_body)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path: Starlette's own 405 names only the first route's."""
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]


def invalid_request(exc: RequestValidationError) -> JSONResponse:
    """The 422 naming each field that is wrong, and why."""
    details = [
        # The location without its leading "body" (a field may itself be called body).
        {
            "field": ".".join(str(p) for p in err["loc"][1 if err["loc"][:1] == ("body",) else 0 :]),
            "problem": err["msg"],
        }
        for err in exc.errors()
    ]
    fields = ", ".join(d["field"] or "body" for d in details)
    return _error(422, "invalid_request", f"fix these fields: {fields}", details)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError) -> JSONResponse:
        return _error(exc.status, exc.error, exc.message, exc.details)

    @app.exception_handler(WorkflowUpdateFailedError)
    async def _update(_: Request, exc: WorkflowUpdateFailedError) -> JSONResponse:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type in UPDATE_ERRORS:
            status, error = UPDATE_ERRORS[cause.type]
            return _error(status, error, cause.message)
        # The update was refused or failed without a known type: still the workflow's word, not a crash.
        message = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
        return _error(409, "update_failed", message)

    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def _update_timeout(_: Request, exc: WorkflowUpdateRPCTimeoutOrCancelledError) -> JSONResponse:
        # The update may still be applied later (an Idempotency-Key makes a repeat safe), so this is not a 503.
        message = "the post's workflow did not answer in time; read the post to see whether the change was made"
        return _error(504, "timeout", message)

    @app.exception_handler(WorkflowQueryFailedError)
    @app.exception_handler(WorkflowQueryRejectedError)
    async def _query(request: Request, exc: Exception) -> JSONResponse:
        logger.error("workflow query failed on %s %s: %s", request.method, request.url.path, exc)
        return _error(502, "workflow_query_failed", "the post's workflow could not answer; try again shortly")

    @app.exception_handler(RPCError)
    async def _temporal(request: Request, exc: RPCError) -> JSONResponse:
        if exc.status is RPCStatusCode.NOT_FOUND and "completed" in exc.message:
            message = "the post's lifecycle has ended (see its status); nothing more can change it"
            return _error(409, "invalid_state", message)
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED):
            return _error(503, "unavailable", UNAVAILABLE, headers={"Retry-After": "5"})
        logger.error("workflow service error on %s %s: %s %s", request.method, request.url.path, exc.status, exc)
        return _error(502, "workflow_service_error", exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid_request(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == UNREADABLE_BODY:
            # A malformed payload like any other (422), not a second kind of bad request.
            problem = "the body is not UTF-8 JSON"
            return _error(422, "invalid_request", problem, [{"field": "", "problem": problem}])
        message = _too_large(request.scope) if exc.status_code == 413 else str(exc.detail)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            message = f"{request.method} is not allowed here; use {', '.join(allowed)}"
        return _error(exc.status_code, HTTP_ERRORS.get(exc.status_code, "http_error"), message, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette runs this outermost, then re-raises for the server to log as well.
        logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        message = "something went wrong on our side; try again, and if it persists the server log says what"
        return _error(500, "internal_error", message)
