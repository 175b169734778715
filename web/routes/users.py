"""The admin API: accounts, roles and assignments, disabling, passwords, API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from rtcc.auth import tokens, users
from rtcc.auth.users import user_summary
from rtcc.errors import ConflictError, PermissionDeniedError
from rtcc.models import User
from rtcc.schemas.accounts import (
    NewTokenOut,
    PasswordSetOut,
    TokenOut,
    TokenPage,
    UserOut,
    UserPage,
)
from web.deps import ServicesDep, SessionDep
from web.looks import Looks
from web.security import CurrentUser, require

router = APIRouter(tags=["users"])
MANAGE = [Depends(require("users:manage"))]
Username = Annotated[
    str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
]
CameraIds = list[Annotated[str, Field(min_length=1, max_length=64)]]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserIn(Body):
    username: str = Field(min_length=1, max_length=100)
    roles: list[str] = Field(min_length=1, max_length=5)
    password: str | None = Field(default=None, max_length=1024)
    cameras: CameraIds | None = Field(default=None, max_length=1000)
    hotlists: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(
        default=None, max_length=1000
    )


class UserPatch(Body):
    roles: list[str] | None = Field(default=None, min_length=1, max_length=5)
    cameras: CameraIds | None = Field(default=None, max_length=1000)
    hotlists: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(
        default=None, max_length=1000
    )
    disabled: bool | None = None


class PasswordIn(Body):
    password: str = Field(min_length=1, max_length=1024)


class TokenIn(Body):
    name: str | None = Field(default=None, max_length=100)


@router.get("/api/users", dependencies=MANAGE, response_model=UserPage)
def list_users(session: SessionDep, looks: Looks) -> UserPage:
    items = [UserOut.model_validate(user_summary(u)) for u in users.list_users(session)]
    looks.saw("users", items=[u.username for u in items])
    return UserPage(items=items, count=len(items))


@router.post(
    "/api/users", dependencies=MANAGE, status_code=201,
    response_model=UserOut,
)
def create_user(
    body: UserIn, user: CurrentUser, services: ServicesDep, session: SessionDep
) -> UserOut:
    created = users.create_user(
        session, username=body.username, roles=body.roles, password=body.password,
        now=services.clock.now(), actor=user.actor, cameras=body.cameras, hotlists=body.hotlists,
        min_password_length=services.settings.auth.min_password_length,
    )
    session.commit()
    return UserOut.model_validate(user_summary(created))


def _keep_an_admin(session: Session, *, username: str, changes: dict[str, Any]) -> None:
    """Refuse to remove the last enabled administrator (nobody could manage accounts)."""
    losing = changes.get("disabled") is True or (
        "roles" in changes and "admin" not in (changes["roles"] or [])
    )
    if not losing:
        return
    admins = [u for u in users.list_users(session) if "admin" in (u.roles or []) and not u.disabled]
    if [u.username for u in admins] == [username]:
        raise ConflictError("cannot disable or demote the last enabled admin", field="username")


@router.patch(
    "/api/users/{username}", dependencies=MANAGE,
    response_model=UserOut,
)
def update_user(
    username: Username, body: UserPatch, user: CurrentUser, services: ServicesDep,
    session: SessionDep,
) -> UserOut:
    changes = {k: getattr(body, k) for k in body.model_fields_set}
    if "roles" in changes and changes["roles"] is None:
        del changes["roles"]
    if "disabled" in changes and changes["disabled"] is None:
        del changes["disabled"]
    users.get_user(session, username=username)  # 404 before anything else
    _keep_an_admin(session, username=username, changes=changes)
    updated: User = users.update_user(
        session, username=username, now=services.clock.now(), actor=user.actor, changes=changes
    )
    session.commit()
    return UserOut.model_validate(user_summary(updated))


@router.post(
    "/api/users/{username}/password", dependencies=MANAGE,
    response_model=PasswordSetOut,
)
def set_password(
    username: Username, body: PasswordIn, user: CurrentUser, services: ServicesDep,
    session: SessionDep,
) -> PasswordSetOut:
    users.set_password(
        session, username=username, password=body.password, now=services.clock.now(),
        actor=user.actor, min_password_length=services.settings.auth.min_password_length,
    )
    session.commit()
    return PasswordSetOut(status="password set", username=username)


@router.get(
    "/api/users/{username}/tokens", dependencies=MANAGE,
    response_model=TokenPage,
)
def list_tokens(username: Username, session: SessionDep, looks: Looks) -> TokenPage:
    rows = tokens.list_tokens(session, username=username)
    items = [TokenOut.model_validate(tokens.token_summary(t)) for t in rows]
    looks.saw("tokens", target=f"user:{username}", items=[t.id for t in items])
    return TokenPage(items=items, count=len(items))


@router.post(
    "/api/users/{username}/tokens", dependencies=MANAGE, status_code=201,
    response_model=NewTokenOut,
)
def issue_token(
    username: Username, body: TokenIn, user: CurrentUser, services: ServicesDep,
    session: SessionDep,
) -> NewTokenOut:
    try:
        row, secret = tokens.issue(
            session, username=username, now=services.clock.now(), actor=user.actor,
            name=body.name, days=services.settings.auth.token_days,
        )
    except PermissionDeniedError:
        session.commit()  # the refused attempt stays in the audit trail
        raise
    session.commit()
    return NewTokenOut.model_validate({**tokens.token_summary(row), "token": secret})


@router.delete(
    "/api/tokens/{token_id}", dependencies=MANAGE,
    response_model=TokenOut,
)
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=2**62)], user: CurrentUser, services: ServicesDep,
    session: SessionDep,
) -> TokenOut:
    row = tokens.revoke(session, token_id=token_id, now=services.clock.now(), actor=user.actor)
    session.commit()
    return TokenOut.model_validate(tokens.token_summary(row))
