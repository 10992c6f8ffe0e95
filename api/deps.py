"""Request dependencies: the engine, the Temporal client, and who is acting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.engine import Engine
from temporalio.client import Client

from settings import Settings
from store.engine import transaction
from store.tables import User
from store.workspaces import get_user

ACTOR_HEADER = "X-Postgate-User"


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    client: Client


def context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[AppContext, Depends(context)]


def current_user(
    ctx: ContextDep,
    x_postgate_user: Annotated[str | None, Header(description="the acting user's id (stand-in for real auth)")] = None,
) -> User:
    if not x_postgate_user:
        raise HTTPException(401, f"say who you are with the {ACTOR_HEADER} header")
    with transaction(ctx.engine) as session:
        user = get_user(session, x_postgate_user)
    if user is None:
        raise HTTPException(401, f"no user '{x_postgate_user}'; check the {ACTOR_HEADER} header")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles and user.role != "admin":
        raise HTTPException(403, f"this needs the {' or '.join(roles)} role; {user.id} is {user.role}")
