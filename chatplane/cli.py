"""The `chatplane` command: serve, migrate, init, and license/agent administration."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from chatplane import __version__
from chatplane.config import Settings, SettingsError
from chatplane.errors import ApiError
from chatplane.storage import Tx
from chatplane.storage import accounts as repo
from chatplane.storage.migrate import upgrade
from chatplane.storage.store import Store

T = TypeVar("T")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings().override(
        data_dir=getattr(args, "data_dir", None),
        database_url=getattr(args, "database_url", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        redis_url=getattr(args, "redis_url", None),
        tls_certfile=getattr(args, "tls_certfile", None),
        tls_keyfile=getattr(args, "tls_keyfile", None),
        tls_self_signed=getattr(args, "tls_self_signed", None),
    )


def _run(settings: Settings, fn: Callable[[Tx], T]) -> T:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.effective_database_url)
    try:
        upgrade(store.engine)
        return store.write_sync(fn).result
    finally:
        store.engine.dispose()


def _print(args: argparse.Namespace, obj: dict[str, Any], text: str) -> None:
    print(json.dumps(obj) if args.json else text)


def _license_json(created: Any) -> dict[str, Any]:
    return {
        "license_id": created.license_id,
        "organization_id": created.organization_id,
        "client_id": created.client_id,
        "owner": {"id": created.owner_id, "access_token": created.access_token},
    }


def cmd_init(args: argparse.Namespace) -> int:
    from chatplane.domain import properties, users

    def run(tx: Tx) -> Any:
        first = repo.first_license_id(tx.conn)
        if first is None:
            return users.create_license(tx)
        # Idempotent: the same license, application and owner, with a valid token.
        owner = users.owner_of(tx, first)
        client_id = repo.default_client_id(tx.conn, first)
        assert client_id is not None
        # A license made before the widget rated chats gets its rating properties now.
        properties.ensure_rating_properties(tx, first, client_id)
        token = users.issue_agent_token(tx, owner, client_id, users.CLI_TOKEN_TTL)
        return users.LicenseCreated(
            first, client_id, owner.id, token, users.organization_of(tx, first)
        )

    created = _run(_settings(args), run)
    _print(
        args,
        _license_json(created),
        f"license {created.license_id} (organization {created.organization_id}), "
        f"client_id {created.client_id}\n"
        f"owner {created.owner_id}, access token {created.access_token}",
    )
    return 0


def cmd_license_create(args: argparse.Namespace) -> int:
    from chatplane.domain import users

    created = _run(_settings(args), users.create_license)
    _print(args, _license_json(created), f"license {created.license_id} created")
    return 0


def cmd_agent_create(args: argparse.Namespace) -> int:
    from chatplane.domain import users

    def run(tx: Tx) -> tuple[str, str]:
        license_id = args.license_id or repo.first_license_id(tx.conn)
        if license_id is None:
            raise ApiError("license_not_found", "No license yet: run `chatplane init` first")
        agent = users.create_agent(tx, license_id, args.email, args.name, args.role, args.password)
        client_id = repo.default_client_id(tx.conn, license_id)
        assert client_id is not None
        return agent.id, users.issue_agent_token(tx, agent, client_id, users.CLI_TOKEN_TTL)

    agent_id, token = _run(_settings(args), run)
    _print(args, {"id": agent_id, "access_token": token}, f"agent {agent_id}, access token {token}")
    return 0


def cmd_agent_list(args: argparse.Namespace) -> int:
    """The license's agents with what the Configuration API shows of their access."""
    from chatplane.domain import agents

    found = _run(
        _settings(args),
        lambda tx: agents.list_agents(tx, _license_id(tx, args), suspended=args.suspended),
    )
    rows = [
        {
            "id": a.id,
            "name": a.name,
            "role": a.role,
            "suspended": a.suspended,
            "awaiting_approval": a.awaiting_approval,
            "unsuspension_requested_at": a.profile.get("unsuspension_requested_at"),
        }
        for a in found
    ]
    lines = [
        f"{r['id']}  {r['role']:<13} {'suspended' if r['suspended'] else ''}"
        f"{' awaiting approval' if r['awaiting_approval'] else ''}"
        f"{' (asks to be unsuspended)' if r['unsuspension_requested_at'] else ''}".rstrip()
        for r in rows
    ]
    _print(args, {"agents": rows}, "\n".join(lines) or "no agents")
    return 0


def cmd_agent_access(args: argparse.Namespace) -> int:
    """suspend, unsuspend, approve or delete an agent: the Configuration API's rules, with
    the operator's authority. A running server hears of it through the database: its
    cached tokens of the agent lapse within 10 s (docs/decisions.md)."""
    from chatplane.domain import agents

    change = {
        "suspend": agents.suspend_agent,
        "unsuspend": agents.unsuspend_agent,
        "approve": agents.approve_agent,
        "delete": agents.delete_agent,
    }[args.sub]
    _run(_settings(args), lambda tx: change(tx, None, _license_id(tx, args), args.id))
    done = {"suspend": "suspended", "unsuspend": "unsuspended", "approve": "approved"}
    word = done.get(args.sub, "deleted")
    _print(args, {"id": args.id, args.sub: True}, f"agent {args.id} {word}")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    """An access token for an agent, with a subset of its role's scopes (an integration that
    needs less than the agent may do gets a token that can do only that)."""
    from chatplane.accounts import tokens
    from chatplane.domain.access import SCOPES, parse_scopes, role_scopes
    from chatplane.domain.models import AGENT

    def run(tx: Tx) -> Any:
        license_id = _license_id(tx, args)
        agent = repo.get_agent(tx.conn, license_id, args.agent)
        if agent is None:
            raise ApiError("validation", f"Agent {args.agent!r} not found in license {license_id}")
        allowed = role_scopes(agent.role)
        scopes = allowed if args.scopes is None else parse_scopes(args.scopes)
        unknown = sorted(scopes - set(SCOPES))
        if unknown:
            raise ApiError("validation", f"Unknown scopes: {', '.join(unknown)}")
        beyond = sorted(scopes - allowed)
        if beyond:
            raise ApiError("validation", f"Role {agent.role} does not hold: {', '.join(beyond)}")
        client_id = repo.default_client_id(tx.conn, license_id)
        assert client_id is not None
        return tokens.issue(
            tx.conn,
            license_id=license_id,
            entity_type=AGENT,
            entity_id=agent.id,
            client_id=client_id,
            scopes=scopes,
            ttl=args.ttl,
        )

    issued = _run(_settings(args), run)
    _print(
        args,
        {
            "access_token": issued.access_token,
            "scope": issued.scope,
            "expires_in": issued.expires_in,
        },
        f"access token {issued.access_token}\nscope {issued.scope or '(none)'}",
    )
    return 0


def cmd_pat_create(args: argparse.Namespace) -> int:
    """A personal access token (authorization/personal-access-tokens): printed once, with
    the value of its `Authorization: Basic ...` header."""
    from chatplane.accounts import tokens
    from chatplane.domain.access import parse_scopes

    def run(tx: Tx) -> Any:
        license_id = _license_id(tx, args)
        agent = repo.get_agent(tx.conn, license_id, args.agent)
        if agent is None:
            raise ApiError("validation", f"Agent {args.agent!r} not found in license {license_id}")
        return tokens.issue_personal(tx.conn, agent, args.name, parse_scopes(args.scopes))

    issued = _run(_settings(args), run)
    out = issued.as_json()
    _print(
        args,
        out,
        f"personal access token {issued.secret} (id {issued.token.id}; shown only now)\n"
        f"account id {issued.token.account_id}\n"
        f"scopes {','.join(out['scopes'])}\n"
        f"Authorization: {out['authorization']}",
    )
    return 0


def cmd_pat_list(args: argparse.Namespace) -> int:
    from chatplane.accounts import tokens

    found = _run(
        _settings(args),
        lambda tx: tokens.list_personal(tx.conn, _license_id(tx, args), args.agent),
    )
    listed = [t.as_json() for t in found]
    lines = [
        f"{t['id']}  {t['account_id']}  {t['name']!r}  {','.join(t['scopes'])}  "
        f"created {t['created_at']}  last used {t['last_used_at'] or 'never'}"
        for t in listed
    ]
    _print(args, {"personal_access_tokens": listed}, "\n".join(lines) or "no personal tokens")
    return 0


def cmd_pat_revoke(args: argparse.Namespace) -> int:
    from chatplane.accounts import tokens

    hashed = _run(
        _settings(args),
        lambda tx: tokens.revoke_personal(tx.conn, _license_id(tx, args), args.token_id, None),
    )
    if hashed is None:
        raise ApiError("validation", f"No personal access token {args.token_id!r}")
    # A running server trusts a token it checked for at most 10 s more (its cache).
    _print(args, {"revoked": args.token_id}, f"personal access token {args.token_id} revoked")
    return 0


def cmd_form_set(args: argparse.Namespace) -> int:
    from chatplane.domain import forms

    form = json.loads(Path(args.file).read_text()) if args.file else {"enabled": False}
    _run(
        _settings(args),
        lambda tx: forms.set_form(tx, _license_id(tx, args), args.group, args.type, form),
    )
    _print(args, {"group_id": args.group, "type": args.type}, f"{args.type} form set")
    return 0


def cmd_goal_add(args: argparse.Namespace) -> int:
    from chatplane.domain import forms

    goal = _run(
        _settings(args),
        lambda tx: forms.add_goal(tx, _license_id(tx, args), args.name, args.url_contains),
    )
    _print(args, goal, f"goal {goal['id']} added")
    return 0


def _license_id(tx: Tx, args: argparse.Namespace) -> int:
    license_id = args.license_id or repo.first_license_id(tx.conn)
    if license_id is None:
        raise ApiError("license_not_found", "No license yet: run `chatplane init` first")
    if repo.get_license(tx.conn, license_id) is None:
        raise ApiError("license_not_found", f"License {license_id} not found")
    return int(license_id)


def _priorities(values: list[str]) -> dict[str, str]:
    out = {}
    for value in values:
        agent_id, _, priority = value.rpartition(":")
        if not agent_id:
            agent_id, priority = value, "normal"
        out[agent_id] = priority
    return out


def cmd_group_create(args: argparse.Namespace) -> int:
    from chatplane.domain import groups

    def run(tx: Tx) -> int:
        lic = _license_id(tx, args)
        return groups.create_group(tx, lic, args.name, _priorities(args.agent or []))

    group_id = _run(_settings(args), run)
    _print(args, {"id": group_id}, f"group {group_id} created")
    return 0


def cmd_group_add_agent(args: argparse.Namespace) -> int:
    from chatplane.domain import groups

    def run(tx: Tx) -> None:
        lic = _license_id(tx, args)
        groups.add_agent(tx, lic, args.group_id, args.agent_id, args.priority)

    _run(_settings(args), run)
    _print(
        args,
        {"group_id": args.group_id, "agent_id": args.agent_id, "priority": args.priority},
        f"agent {args.agent_id} is in group {args.group_id} at priority {args.priority}",
    )
    return 0


def cmd_webhooks_list(args: argparse.Namespace) -> int:
    from chatplane.webhooks import operations

    statuses = operations.parse_statuses(args.status)
    found = _run(
        _settings(args),
        lambda tx: operations.list_deliveries(tx, args.license_id, statuses, args.limit),
    )
    lines = [
        f"{d['delivery_id']}  {d['status']:<9} attempts={d['attempts']:<3} {d['action']:<30} "
        f"{d['url']}  {d['last_error'] or ''}".rstrip()
        for d in found
    ]
    _print(args, {"deliveries": found}, "\n".join(lines) or "no deliveries")
    return 0


def cmd_webhooks_redeliver(args: argparse.Namespace) -> int:
    from chatplane.webhooks import operations

    if (args.delivery_id is None) == (not args.all_failed):
        raise ApiError("validation", "Give either --delivery-id ID or --all-failed")
    settings = _settings(args)
    count = _run(
        settings,
        lambda tx: operations.redeliver(
            tx,
            settings.webhook_retry_for,
            license_id=args.license_id,
            delivery_id=args.delivery_id,
        ),
    )
    # A running server finds them at its next poll (about a second).
    _print(args, {"redelivered": count}, f"{count} deliveries back to pending")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.effective_database_url)
    upgrade(store.engine)
    store.engine.dispose()
    print("migrated")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from chatplane.app import create_app
    from chatplane.realtime.wsproto import PingAwareProtocol

    settings = _settings(args)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    certfile, keyfile = _tls_files(settings)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="auto",
        http="auto",
        ws=PingAwareProtocol,
        # Frames over max_frame_bytes get a `entity_too_large` response and the connection
        # stays open; only frames past this hard cap close it (1009).
        ws_max_size=settings.max_frame_hard_bytes,
        # The server pings every 15 s; a peer that does not answer in 45 s is gone. Its
        # pongs keep the connection alive for the idle reaper (chatplane.realtime.wsproto).
        ws_ping_interval=settings.rtm_ping_interval,
        ws_ping_timeout=settings.rtm_ping_timeout,
        ws_per_message_deflate=False,
        log_level=settings.log_level,
        access_log=False,
        timeout_graceful_shutdown=10,
        proxy_headers=True,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    scheme = "https" if certfile else "http"
    print(f"chatplane serving on {scheme}://{settings.host}:{settings.port}", flush=True)
    # uvicorn drains on SIGTERM, then re-raises the signal under the handler that was
    # installed before it started: make that one a no-op so a drained server exits 0.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: None)
    uvicorn.Server(config).run()
    return 0


def _tls_files(settings: Settings) -> tuple[str | None, str | None]:
    """The certificate and key `serve` uses, or (None, None) for plain HTTP."""
    if settings.tls_certfile or settings.tls_keyfile:
        if not (settings.tls_certfile and settings.tls_keyfile):
            raise SystemExit("TLS needs both --tls-cert and --tls-key (or --tls-self-signed)")
        for path in (settings.tls_certfile, settings.tls_keyfile):
            if not Path(path).is_file():
                raise SystemExit(f"TLS file {path} does not exist")
        return settings.tls_certfile, settings.tls_keyfile
    if settings.tls_self_signed:
        from chatplane.tls import self_signed_pair

        names = tuple(n.strip() for n in settings.tls_names.split(",") if n.strip())
        if settings.host not in ("0.0.0.0", "::"):
            names += (settings.host,)
        cert, key = self_signed_pair(settings.data_dir / "tls", names)
        return str(cert), str(key)
    return None, None


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=None, help="data directory (CHATPLANE_DATA_DIR)")
    p.add_argument("--database-url", default=None, help="database URL (CHATPLANE_DATABASE_URL)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="chatplane", description="Chatplane chat platform server")
    ap.add_argument("--version", action="version", version=f"chatplane {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the server")
    _common(p)
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--redis-url", default=None)
    p.add_argument(
        "--tls-cert",
        dest="tls_certfile",
        default=None,
        help="PEM certificate (CHATPLANE_TLS_CERTFILE)",
    )
    p.add_argument(
        "--tls-key", dest="tls_keyfile", default=None, help="PEM key (CHATPLANE_TLS_KEYFILE)"
    )
    p.add_argument(
        "--tls-self-signed",
        dest="tls_self_signed",
        action="store_const",
        const=True,
        default=None,
        help="serve HTTPS with a self-signed pair made in the data directory (local use)",
    )
    p.set_defaults(fn=cmd_serve)

    p = sub.add_parser("migrate", help="apply schema migrations")
    _common(p)
    p.set_defaults(fn=cmd_migrate)

    p = sub.add_parser("init", help="create the first license, its owner and application")
    _common(p)
    p.set_defaults(fn=cmd_init)

    lic = sub.add_parser("license", help="licenses").add_subparsers(dest="sub", required=True)
    p = lic.add_parser("create", help="create another license")
    _common(p)
    p.set_defaults(fn=cmd_license_create)

    agent = sub.add_parser("agent", help="agents").add_subparsers(dest="sub", required=True)
    p = agent.add_parser("create", help="create an agent")
    _common(p)
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", default="normal", choices=["normal", "administrator"])
    p.add_argument("--password", default=None)
    p.add_argument("--license-id", type=int, default=None)
    p.set_defaults(fn=cmd_agent_create)

    p = agent.add_parser("list", help="list the agents (not bots)")
    _common(p)
    p.add_argument(
        "--suspended",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only suspended (--suspended) or not suspended (--no-suspended) agents",
    )
    p.add_argument("--license-id", type=int, default=None)
    p.set_defaults(fn=cmd_agent_list)
    for name, text in (
        ("suspend", "suspend an agent: no login, no token, no chats"),
        ("unsuspend", "let a suspended agent work again"),
        ("approve", "approve an agent created awaiting approval"),
        ("delete", "delete an agent (it leaves its chats and groups)"),
    ):
        p = agent.add_parser(name, help=text)
        _common(p)
        p.add_argument("--id", required=True, help="agent id (its e-mail)")
        p.add_argument("--license-id", type=int, default=None)
        p.set_defaults(fn=cmd_agent_access)

    token = sub.add_parser("token", help="access tokens").add_subparsers(dest="sub", required=True)
    p = token.add_parser("create", help="an agent's access token, optionally with fewer scopes")
    _common(p)
    p.add_argument("--agent", required=True, help="agent id (its e-mail)")
    p.add_argument("--scopes", default=None, help="comma-separated; default: the role's scopes")
    p.add_argument("--ttl", type=int, default=86400, help="seconds the token lives")
    p.add_argument("--license-id", type=int, default=None)
    p.set_defaults(fn=cmd_token_create)

    pat = sub.add_parser("pat", help="personal access tokens").add_subparsers(
        dest="sub", required=True
    )
    p = pat.add_parser("create", help="an agent's personal access token (Basic authentication)")
    _common(p)
    p.add_argument("--agent", required=True, help="agent id (its e-mail): the account id")
    p.add_argument("--name", required=True, help="what the token is for")
    p.add_argument(
        "--scopes", required=True, help="comma-separated, a subset of the agent's role's"
    )
    p.add_argument("--license-id", type=int, default=None)
    p.set_defaults(fn=cmd_pat_create)
    p = pat.add_parser("list", help="personal access tokens (never their secrets)")
    _common(p)
    p.add_argument("--agent", default=None, help="only this agent's")
    p.add_argument("--license-id", type=int, default=None)
    p.set_defaults(fn=cmd_pat_list)
    p = pat.add_parser("revoke", help="revoke a personal access token by its id")
    _common(p)
    p.add_argument("token_id", metavar="ID")
    p.add_argument("--license-id", type=int, default=None)
    p.set_defaults(fn=cmd_pat_revoke)

    form = sub.add_parser("form", help="pre-chat and post-chat forms").add_subparsers(
        dest="sub", required=True
    )
    p = form.add_parser("set", help="set a group's form from a JSON file (no file: disable)")
    _common(p)
    p.add_argument("--group", type=int, default=0)
    p.add_argument("--type", choices=["prechat", "postchat"], required=True)
    p.add_argument("--file", default=None, help='{"enabled": true, "fields": [...]}')
    p.add_argument("--license-id", type=int, default=None)
    p.set_defaults(fn=cmd_form_set)

    goal = sub.add_parser("goal", help="goals").add_subparsers(dest="sub", required=True)
    p = goal.add_parser("add", help="a goal reached on pages whose URL contains a text")
    _common(p)
    p.add_argument("--name", required=True)
    p.add_argument("--url-contains", required=True)
    p.add_argument("--license-id", type=int, default=None)
    p.set_defaults(fn=cmd_goal_add)
    group = sub.add_parser("group", help="groups").add_subparsers(dest="sub", required=True)
    p = group.add_parser("create", help="create a group of agents")
    _common(p)
    p.add_argument("--name", required=True)
    p.add_argument(
        "--agent",
        action="append",
        metavar="AGENT_ID[:PRIORITY]",
        help="a member, at priority first, normal (default) or last; repeatable",
    )
    p.add_argument("--license-id", type=int, default=None)
    p.set_defaults(fn=cmd_group_create)
    p = group.add_parser("add-agent", help="put an agent in a group (or change its priority)")
    _common(p)
    p.add_argument("--group-id", type=int, required=True)
    p.add_argument("--agent-id", required=True)
    p.add_argument("--priority", default="normal", choices=["first", "normal", "last"])
    p.add_argument("--license-id", type=int, default=None)
    p.set_defaults(fn=cmd_group_add_agent)
    hooks = sub.add_parser("webhooks", help="webhook deliveries").add_subparsers(
        dest="sub", required=True
    )
    p = hooks.add_parser("list", help="list deliveries with their attempts")
    _common(p)
    p.add_argument("--status", default=None, help="pending,failed (default), delivered, or all")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--license-id", type=int, default=None)
    p.set_defaults(fn=cmd_webhooks_list)
    p = hooks.add_parser("redeliver", help="send failed deliveries again")
    _common(p)
    p.add_argument("--delivery-id", default=None)
    p.add_argument("--all-failed", action="store_true")
    p.add_argument("--license-id", type=int, default=None)
    p.set_defaults(fn=cmd_webhooks_redeliver)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except ApiError as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 2
    except SettingsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
