"""Sign in, sign out, who am I. Browser sessions: HttpOnly SameSite=Strict cookie + CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from rtcc.auth import sessions
from rtcc.auth.ratelimit import RateLimiter
from rtcc.errors import AuthenticationError, TooManyRequestsError
from rtcc.models import AuthSession
from rtcc.schemas.accounts import LoginOut, LogoutOut, MeOut
from rtcc.vocab import Permission, known_roles
from web.deps import ServicesDep, SessionDep
from web.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    client_address,
    require,
    session_policy,
)

router = APIRouter(tags=["auth"])


NO_NUL = r"^[^\x00]*$"


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=1024, pattern=NO_NUL)


# One answer for unknown, wrong, locked and disabled: it must not tell which accounts exist.
_FAIL = "invalid username or password (or the account cannot sign in now)"


@router.post(
    "/api/auth/login", dependencies=[Depends(require("public"))],
    response_model=LoginOut,
)
def login(
    body: LoginIn, request: Request, response: Response, services: ServicesDep, session: SessionDep
) -> LoginOut:
    source = client_address(request)
    limiter: RateLimiter = request.app.state.login_limiter
    wait = limiter.check(source or "unknown")
    if wait:
        raise TooManyRequestsError(f"too many sign-in attempts; try again in {wait:.0f} s",
                                   retry_after_s=round(wait, 1))
    policy = session_policy(services)
    attempt = sessions.begin_login(session, username=body.username, now=services.clock.now(),
                                   policy=policy)
    session.commit()  # counted (and the lockout decided) before any password is checked
    result = sessions.finish_login(session, attempt=attempt, password=body.password,
                                   now=services.clock.now(), policy=policy, source=source)
    session.commit()  # failures and lockouts are recorded even though the request fails
    if not result.ok or result.user is None or result.cookie is None:
        raise AuthenticationError(_FAIL)
    limiter.refund(source or "unknown")  # only failed attempts count against the address
    secure = bool(services.settings.auth.cookie_secure)
    max_age = services.settings.auth.session_idle_minutes * 60 * 16  # the server decides expiry
    response.set_cookie(SESSION_COOKIE, result.cookie, httponly=True, samesite="strict",
                        secure=secure, path="/", max_age=max_age)
    response.set_cookie(CSRF_COOKIE, result.csrf_token or "", httponly=False, samesite="strict",
                        secure=secure, path="/", max_age=max_age)
    return LoginOut(
        username=result.user.username,
        roles=known_roles(result.user.roles or []),
        csrf_token=result.csrf_token,
    )


@router.post(
    "/api/auth/logout", dependencies=[Depends(require("self"))],
    response_model=LogoutOut,
)
def logout(
    request: Request, response: Response, user: CurrentUser, services: ServicesDep,
    session: SessionDep,
) -> LogoutOut:
    cookie = request.cookies.get(SESSION_COOKIE)
    found = (
        sessions.resolve(session, cookie=cookie, now=services.clock.now(),
                         policy=session_policy(services))
        if cookie and user.via == "session" else None
    )
    if found is not None:
        account, row = found
        sessions.logout(session, row=row, user=account, now=services.clock.now(),
                        source=user.source)
        session.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return LogoutOut(status="signed out")


@router.get(
    "/api/auth/me", dependencies=[Depends(require("self"))],
    response_model=MeOut,
)
def me(request: Request, user: CurrentUser, session: SessionDep) -> MeOut:
    csrf = None
    cookie = request.cookies.get(SESSION_COOKIE)
    if user.via == "session" and cookie:
        row = session.get(AuthSession, sessions.digest(cookie))
        csrf = row.csrf_token if row else None
    return MeOut(
        username=user.username,
        roles=known_roles(user.roles),
        permissions=sorted(Permission(p) for p in user.permissions),
        cameras=list(user.cameras) if user.cameras is not None else None,
        hotlists=list(user.hotlists) if user.hotlists is not None else None,
        via=user.via,
        csrf_token=csrf,
    )
