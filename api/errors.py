"""One JSON error body everywhere: {"error", "message", "details"}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.service import ServiceError

# How each refusal from the workflow's validators reads over HTTP.
UPDATE_ERRORS = {
    "InvalidState": (409, "invalid_state"),
    "StaleContent": (409, "stale_content"),
    "SeparationOfDuties": (403, "separation_of_duties"),
    "NotAnApprover": (403, "not_an_approver"),
    "AlreadyDecided": (409, "already_decided"),
    "InvalidInput": (422, "invalid_input"),
}


def error_body(error: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": error, "message": message, "details": details}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(error_body(exc.error, exc.message, exc.details), status_code=exc.status)

    @app.exception_handler(WorkflowUpdateFailedError)
    async def _update(_: Request, exc: WorkflowUpdateFailedError) -> JSONResponse:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type in UPDATE_ERRORS:
            status, error = UPDATE_ERRORS[cause.type]
            return JSONResponse(error_body(error, cause.message), status_code=status)
        return JSONResponse(error_body("update_failed", str(cause or exc)), status_code=409)

    @app.exception_handler(RPCError)
    async def _temporal(_: Request, exc: RPCError) -> JSONResponse:
        if exc.status is RPCStatusCode.NOT_FOUND and "completed" in exc.message:
            message = "the post's lifecycle has ended (see its status); nothing more can change it"
            return JSONResponse(error_body("invalid_state", message), status_code=409)
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            message = "the workflow service is unreachable right now; nothing was changed, try again shortly"
            return JSONResponse(error_body("unavailable", message), status_code=503, headers={"Retry-After": "5"})
        return JSONResponse(error_body("workflow_service_error", exc.message), status_code=502)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "problem": err["msg"]}
            for err in exc.errors()
        ]
        fields = ", ".join(d["field"] or "body" for d in details)
        return JSONResponse(error_body("invalid_request", f"fix these fields: {fields}", details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            error_body(codes.get(exc.status_code, "http_error"), str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
