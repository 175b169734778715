"""``rtcc users add|disable|enable|passwd|token|revoke|list``: accounts from the command line.

There is no default password: the first admin is made here (or once from
``auth.bootstrap_admin``/``auth.bootstrap_password``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from rtcc.auth import tokens, users
from rtcc.auth.roles import ROLES
from rtcc.cli.context import CliContext, cli_context
from rtcc.db import transaction
from rtcc.errors import InvalidInputError


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    cmd = sub.add_parser("users", help="manage user accounts and API tokens")
    usub = cmd.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = usub.add_parser("add", help="create an account")
    add.add_argument("name")
    add.add_argument("--role", action="append", required=True, choices=ROLES,
                     help="role (repeat for several)")
    add.add_argument("--camera", action="append", default=None, help="assigned camera id")
    add.add_argument("--hotlist", action="append", type=int, default=None,
                     help="assigned hotlist id")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--no-password", action="store_true", help="token-only account")
    add.set_defaults(func=_add)
    for name, func, help_text in (
        ("disable", _disable, "disable an account (ends its sessions)"),
        ("enable", _enable, "enable an account and clear its lockout"),
        ("token", _token, "issue an API token and print it (shown once)"),
    ):
        p = usub.add_parser(name, help=help_text)
        p.add_argument("name")
        if name == "token":
            p.add_argument("--label", default=None, help="what the token is for")
            p.add_argument("--days", type=int, default=None,
                           help="valid this many days (default: auth.token_days)")
        p.set_defaults(func=func)
    passwd = usub.add_parser("passwd", help="set a new password")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=_passwd)
    revoke = usub.add_parser("revoke", help="revoke an API token by id")
    revoke.add_argument("token_id", type=int)
    revoke.set_defaults(func=_revoke)
    usub.add_parser("list", help="list accounts").set_defaults(func=_list)
    for p in usub.choices.values():
        add_config(p)


@contextmanager
def _session(args: argparse.Namespace) -> Iterator[tuple[Session, CliContext]]:
    """One transaction (committed when the block succeeds) in the command's context."""
    with cli_context(args) as ctx, transaction(ctx.sessions) as session:
        yield session, ctx


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise InvalidInputError("the two passwords differ", field="password")
    else:
        raise InvalidInputError("no terminal: give the password with --password-stdin",
                                field="password")
    if not password:
        raise InvalidInputError("empty password", field="password")
    return password


def _add(args: argparse.Namespace) -> int:
    password = None if args.no_password else _read_password(args)
    with _session(args) as (session, ctx):
        user = users.create_user(
            session, username=args.name, roles=args.role, password=password,
            now=ctx.clock.now(), actor=ctx.actor, cameras=args.camera, hotlists=args.hotlist,
            min_password_length=ctx.settings.auth.min_password_length,
        )
        print(f"created user {user.username} ({', '.join(user.roles)})")
    return 0


def _set_disabled(args: argparse.Namespace, disabled: bool) -> int:
    with _session(args) as (session, ctx):
        users.update_user(session, username=args.name, now=ctx.clock.now(), actor=ctx.actor,
                          changes={"disabled": disabled})
        print(f"{'disabled' if disabled else 'enabled'} user {args.name}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    return _set_disabled(args, True)


def _enable(args: argparse.Namespace) -> int:
    return _set_disabled(args, False)


def _passwd(args: argparse.Namespace) -> int:
    password = _read_password(args)
    with _session(args) as (session, ctx):
        users.set_password(session, username=args.name, password=password,
                           now=ctx.clock.now(), actor=ctx.actor,
                           min_password_length=ctx.settings.auth.min_password_length)
        print(f"password set for {args.name}")
    return 0


def _token(args: argparse.Namespace) -> int:
    with _session(args) as (session, ctx):
        days = args.days if args.days is not None else ctx.settings.auth.token_days
        if not 1 <= days <= 3650:
            raise InvalidInputError("--days: between 1 and 3650", field="days")
        row, secret = tokens.issue(session, username=args.name, now=ctx.clock.now(),
                                   actor=ctx.actor, name=args.label, days=days)
        print(f"token {row.id} for {args.name} (shown once):", file=sys.stderr)
        print(secret)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with _session(args) as (session, ctx):
        tokens.revoke(session, token_id=args.token_id, now=ctx.clock.now(), actor=ctx.actor)
        print(f"revoked token {args.token_id}")
    return 0


def _list(args: argparse.Namespace) -> int:
    with _session(args) as (session, ctx):
        for user in users.list_users(session):
            flags = " (disabled)" if user.disabled else ""
            print(f"{user.username}\t{','.join(user.roles)}{flags}")
    return 0
