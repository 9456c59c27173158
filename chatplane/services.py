"""The running server's parts, wired once and shared by every transport and handler."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from chatplane.accounts import tokens
from chatplane.bus import Bus, Origin, make_bus
from chatplane.config import Settings
from chatplane.domain import properties
from chatplane.domain.changes import AgentAccessChanged, AgentDeleted, Change
from chatplane.domain.ids import new_secret
from chatplane.domain.models import Principal
from chatplane.domain.viewer import View
from chatplane.errors import ApiError, authentication, authorization, blocked_agent, validation
from chatplane.files.storage import FileStore, LocalFileStore
from chatplane.limits import TokenBucket
from chatplane.realtime import resume, resume_exchange
from chatplane.realtime.board import PresenceBoard
from chatplane.realtime.hub import PROCESS_ID, Hub, Session, disconnect
from chatplane.realtime.presence import Presence
from chatplane.storage import Tx, secrets
from chatplane.storage import accounts as accounts_repo
from chatplane.storage.store import Store

T = TypeVar("T")
log = logging.getLogger(__name__)

# A validated token is trusted this long before it is looked up again (revocation and
# expiry are checked at least this often).
TOKEN_CACHE_SECONDS = 10.0
CONFIG_CACHE_SECONDS = 5.0
# One message whether the token is unknown, revoked or another account's: the answer must
# not tell a caller holding someone's secret that it is valid somewhere.
INVALID_PERSONAL_TOKEN = "Invalid or revoked personal access token for this account id"


class Services:
    """The parts every transport and handler shares. The app wires what reacts to changes
    (fan-out, webhooks, routing) onto the store and the bus (chatplane/app.py)."""

    def __init__(self, settings: Settings, store: Store, bus: Bus | None = None) -> None:
        self.settings = settings
        self.store = store
        self.bus = bus or make_bus(settings.redis_url, settings.redis_prefix)
        self.hub = Hub()
        # Cluster-wide presence (several processes on Redis); None with one process.
        self.board: PresenceBoard | None = None
        if settings.redis_url:
            self.board = PresenceBoard(
                settings.redis_url, settings.redis_prefix, self.hub.agent_connection_counts
            )
        self._tokens: dict[str, tuple[Principal, float]] = {}
        self._token_lookups: dict[str, asyncio.Future[Principal | None]] = {}
        self.request_limit = TokenBucket(settings.requests_per_second)
        self.file_store: FileStore = LocalFileStore(settings.data_dir / "files")
        # license -> (configs, fresh until, read started at): monotonic seconds.
        self._configs: dict[int, tuple[properties.Configs, float, float]] = {}
        self._config_reloads: dict[int, asyncio.Task[properties.Configs]] = {}
        # The event loop that serves requests, once seen; threads ask it to reload configs.
        self._loop: asyncio.AbstractEventLoop | None = None
        # Resuming on another process of a cluster (none with one process).
        self.resume_exchange: resume_exchange.ResumeExchange | None = (
            resume_exchange.ResumeExchange(
                settings.redis_url, settings.redis_prefix, PROCESS_ID, self.take_detached
            )
            if settings.redis_url
            else None
        )
        # organization id (v3.x) -> license id; an organization never changes its license.
        self._organizations: dict[str, int] = {}
        # Agents' presence and auto-away; the app wires it (chatplane/app.py).
        self.presence: Presence | None = None
        # The server's own keys (storage/secrets.py), read once per process.
        self._secrets: dict[str, bytes] = {}

    # -- units of work -----------------------------------------------------------------

    async def commit(self, fn: Callable[[Tx], T], origin: Origin | None = None) -> T:
        """Run a write; once it is committed, publish what it changed."""
        committed = await self.store.write(fn)
        await self.bus.publish(committed.events, origin)
        return committed.result

    async def read(self, fn: Callable[[Tx], T]) -> T:
        return await self.store.read(fn)

    # -- identity ----------------------------------------------------------------------

    async def authenticate(self, token: str | None, *, allow_blocked: bool = False) -> Principal:
        """The principal of an `Authorization` value: `Bearer <access token>` (or the bare
        token), or `Basic base64(<account id>:<personal access token>)`. A suspended
        agent's token, or that of an agent awaiting approval, is refused unless
        `allow_blocked` (request_agent_unsuspension)."""
        principal = await self._authenticate(token)
        if principal.blocked is not None and not allow_blocked:
            raise blocked_agent(principal)
        return principal

    async def _authenticate(self, token: str | None) -> Principal:
        if not token:
            raise authentication("Missing access token")
        try:
            credentials = tokens.parse_authorization(token)
        except tokens.MalformedCredentials as err:
            raise authentication(str(err)) from None
        if not credentials.secret:
            raise authentication("Missing access token")
        key = credentials.cache_key
        now = time.time()
        cached = self._tokens.get(key)
        if cached is not None and cached[1] > now:
            principal = cached[0]
            if principal.token_expires_at > now:
                if credentials.personal and principal.user_id != credentials.account_id:
                    raise authentication(INVALID_PERSONAL_TOKEN)
                return await self._with_configs(principal)
        # One look-up per token at a time: when a busy token's cache entry runs out, its
        # concurrent requests share the read instead of each making one.
        pending = self._token_lookups.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._lookup(credentials))
            self._token_lookups[key] = pending
            pending.add_done_callback(lambda _done: self._token_lookups.pop(key, None))
        principal_or_none = await asyncio.shield(pending)
        if principal_or_none is None:
            self._tokens.pop(key, None)
            if credentials.personal:
                raise authentication(INVALID_PERSONAL_TOKEN)
            raise authentication("Invalid or expired access token")
        if credentials.personal and principal_or_none.user_id != credentials.account_id:
            # Another request with the same secret but another account id shared the read.
            raise authentication(INVALID_PERSONAL_TOKEN)
        if len(self._tokens) > 50_000:
            self._tokens.clear()
        self._tokens[key] = (principal_or_none, now + TOKEN_CACHE_SECONDS)
        return await self._with_configs(principal_or_none)

    async def _lookup(self, credentials: tokens.Credentials) -> Principal | None:
        if not credentials.personal:
            return await self.read(lambda tx: tokens.lookup(tx.conn, credentials.secret))
        found = await self.read(lambda tx: tokens.lookup_personal(tx.conn, credentials))
        if found is None:
            return None
        now = time.time()
        last = found.last_used_at
        if last is None or now - last >= tokens.LAST_USED_PRECISION:
            hashed = found.token_hash
            try:
                await self.commit(lambda tx: tokens.touch_personal(tx.conn, hashed, now))
            except Exception:  # a lost "last used" must not refuse a valid token
                log.exception("could not record the use of a personal access token")
        return found.principal

    async def _with_configs(self, principal: Principal) -> Principal:
        """Every request and RTM login authenticates first: loading the caller's license
        configurations here (once per license and process, off the event loop) is what
        lets `configs()` answer handlers and pushes from the cache (docs/decisions.md)."""
        if principal.license_id not in self._configs:
            await self.load_configs(principal.license_id)
        return principal

    async def license_of_organization(self, organization_id: str) -> int:
        """The license an organization id names (`license_not_found` when none does)."""
        license_id = self._organizations.get(organization_id)
        if license_id is None:
            found = await self.read(
                lambda tx: accounts_repo.license_of_organization(tx.conn, organization_id)
            )
            if found is None:
                raise ApiError(
                    "license_not_found", f"No license has the organization id {organization_id!r}"
                )
            if len(self._organizations) > 10_000:
                self._organizations.clear()
            license_id = self._organizations[organization_id] = found
        return license_id

    async def secret(self, name: str) -> bytes:
        """A key of this installation (made on first use, the same in every process)."""
        key = self._secrets.get(name)
        if key is None:
            value = await self.commit(lambda tx: secrets.get_or_create(tx.conn, name, new_secret))
            key = self._secrets[name] = value.encode()
        return key

    def forget_token(self, token: str) -> None:
        self._tokens.pop(tokens.token_hash(tokens.strip_bearer(token)), None)

    def forget_personal_token(self, hashed: str) -> None:
        """A personal token was revoked: this process stops trusting it at once (other
        processes within TOKEN_CACHE_SECONDS)."""
        self._tokens.pop(tokens.personal_cache_key(hashed), None)

    def forget_agent(self, license_id: int, agent_id: str) -> None:
        """Drop this process's cached tokens of an agent (suspended, deleted): its next
        request reads the token afresh. Other processes' caches lapse within
        TOKEN_CACHE_SECONDS."""
        for key, (principal, _until) in list(self._tokens.items()):
            if principal.license_id == license_id and principal.user_id == agent_id:
                self._tokens.pop(key, None)

    async def forget_blocked(self, changes: Sequence[Change], _origin: Origin | None) -> None:
        """Bus subscriber: an agent suspended or deleted (in any process) loses this
        process's cached tokens at once."""
        for change in changes:
            if isinstance(change, AgentAccessChanged | AgentDeleted):
                self.forget_agent(change.license_id, change.agent_id)

    # -- sessions --------------------------------------------------------------------

    async def register_session(self, session: Session) -> None:
        """A session just logged in; the user's oldest sessions over the limit are let go.
        An agent's connection logging in `away` sets `session.away` before this. Its pushes
        are numbered from now on, starting with a resumed session's missed ones."""
        evicted = self.hub.register(session, self.settings.max_connections_per_user)
        await self._resume(session)
        p = session.principal
        if self.board is not None and p is not None and p.is_agent:
            await self.board.connected(p.license_id, p.user_id)
        if self.presence is not None:
            await self.presence.session_opened(session)
        for old in evicted:
            await disconnect(old, "too_many_connections")

    # -- resumable sessions (realtime/resume.py) --------------------------------------

    async def _resume(self, session: Session) -> None:
        """Give a logged-in session its push log; when its login asked to resume a session
        of the same user, API and version, its missed pushes go first (`session.release`)."""
        window = self.settings.resume_window
        if window <= 0:
            return
        session.log = resume.PushLog(
            resume.new_key(PROCESS_ID), self.settings.resume_max_pushes, window
        )
        asked = session.resume_request
        if asked is None:
            session.resume_outcome = {"session_id": session.log.key, "resumed": False}
            return
        reply = self._take_local(asked, session)
        owner = resume.owner_of(asked.session_id)
        if reply is None and owner != PROCESS_ID and self.resume_exchange is not None:
            p = session.principal
            assert p is not None
            request = resume_exchange.Request(
                asked.session_id,
                asked.seq,
                p.license_id,
                p.user_type,
                p.user_id,
                session.api,
                session.version,
                reply_to="",
                nonce="",
            )
            reply = await self.resume_exchange.fetch(owner, request)
        outcome: dict[str, Any] = {"session_id": session.log.key}
        if reply is None or not reply.ok:
            outcome["resumed"] = False
            outcome["reason"] = reply.reason if reply is not None else resume.UNKNOWN
            session.resume_outcome = outcome
            return
        outcome["resumed"] = True
        outcome["replayed"] = len(reply.entries)
        session.resume_outcome = outcome
        session.resume_replay = reply.entries

    def _take_local(
        self, asked: resume.ResumeRequest, session: Session
    ) -> resume_exchange.Reply | None:
        """This process's detached session `asked` names, taken for `session`; None when
        this process does not keep it."""
        p = session.principal
        assert p is not None
        request = resume_exchange.Request(
            asked.session_id,
            asked.seq,
            p.license_id,
            p.user_type,
            p.user_id,
            session.api,
            session.version,
            reply_to="",
            nonce="",
        )
        if self.hub.detached(asked.session_id) is None:
            return None
        return self.take_detached(request)

    def take_detached(self, request: resume_exchange.Request) -> resume_exchange.Reply:
        """The missed pushes of a detached session of this process, for a resume (here or on
        another process); the session is no longer kept afterwards."""
        kept = self.hub.detached(request.session_id)
        if kept is None or kept.log is None or kept.principal is None:
            return resume_exchange.Reply(request.nonce, False, resume.UNKNOWN)
        if kept.detached_until is not None and kept.detached_until <= time.monotonic():
            self.hub.take_detached(kept)  # its window passed (the reaper had not run yet)
            return resume_exchange.Reply(request.nonce, False, resume.UNKNOWN)
        p = kept.principal
        same = (p.license_id, p.user_type, p.user_id, kept.api, kept.version) == (
            request.license_id,
            request.user_type,
            request.user_id,
            request.api,
            request.version,
        )
        if not same:
            return resume_exchange.Reply(request.nonce, False, resume.MISMATCH)
        missed = kept.log.after(request.seq)
        self.hub.take_detached(kept)
        if missed is None:
            return resume_exchange.Reply(request.nonce, False, resume.GAP)
        return resume_exchange.Reply(
            request.nonce, True, entries=[(k.text, k.change) for k in missed]
        )

    def keep_detached(self, session: Session) -> None:
        """A logged-in session's connection is gone: keep its pushes for a resume, unless
        it ended on purpose."""
        if session.log is None or not session.resumable or session.principal is None:
            return
        until = time.monotonic() + self.settings.resume_window
        self.hub.detach(session, until, self.settings.resume_max_detached)

    async def on_session_closed(self, session: Session) -> None:
        """A connection closed: an agent's connections left may all be away now; a
        customer's last one ends the visit."""
        p = session.principal
        if p is not None and p.is_agent and self.board is not None:
            try:
                await self.board.disconnected(p.license_id, p.user_id)
            except Exception:
                log.exception("could not count %s's connection off the presence board", p.user_id)
        if p is not None and p.is_agent and self.presence is not None:
            try:
                await self.presence.session_closed(session)
            except Exception:
                log.exception("could not apply auto-away after %s's connection closed", p.user_id)
        if p is None or not p.is_customer:
            return
        if self.hub.sessions_of(p.license_id, p.user_type, p.user_id):
            return
        from chatplane.domain import customers

        try:
            await self.commit(lambda tx: customers.end_visit(tx, p.license_id, p.user_id))
        except Exception:
            log.exception("could not end the visit of %s", p.user_id)

    async def set_away(self, session: Session, away: bool) -> None:
        """v3.6 `set_away_status`: this connection is away or not; the agent's routing
        status follows (realtime/presence.py)."""
        if self.presence is None:
            session.away = away
            return
        await self.presence.set_away(session, away)

    async def all_away(self, license_id: int, agent_id: str) -> bool:
        """Whether every connection of the agent is away (for `agent_status.login`'s
        `away`, once the new session is registered)."""
        if self.presence is None:
            total, away = self.hub.away_counts(license_id, agent_id)
            return total > 0 and away >= total
        return await self.presence.all_away(license_id, agent_id)

    async def update_session(self, session: Session, token: str | None) -> Principal:
        """v3.6 `update_session`: the logged-in session goes on with a new token of the
        same user, which must not expire before the one it replaces."""
        current = session.principal
        if current is None:
            raise validation("Log in before updating the session")
        principal = await self.authenticate(token)
        same = (principal.license_id, principal.user_type, principal.user_id)
        if same != (current.license_id, current.user_type, current.user_id):
            raise authorization(
                "The new token belongs to another user: a session goes on only with a token "
                "of the user who logged in"
            )
        if principal.token_expires_at < current.token_expires_at:
            raise validation(
                "The new token expires before the session's current one: use a newer token"
            )
        session.principal = principal
        return principal

    # -- views -------------------------------------------------------------------------

    def configs(self, license_id: int) -> properties.Configs:
        """A license's property configurations, for shaping objects and pushes.

        Answered from the cache, which `authenticate` fills (through `load_configs`) for
        the caller's license before any handler or push of that license needs it; stale
        entries are served while a reload runs on the event loop. Writes never use this
        cache: they check against the transaction's own read.

        Only a license nobody authenticated for in this process is read here, directly:
        from a writer thread (webhook bodies) that is where it must be read, and on the
        event loop it means a caller skipped `load_configs`, which is logged.
        """
        cached = self._configs.get(license_id)
        if cached is not None:
            if cached[1] <= time.monotonic():
                self._reload_soon(license_id)
            return cached[0]
        if self._on_event_loop():
            log.warning(
                "license %s's property configurations were read on the event loop: "
                "await Services.load_configs() first",
                license_id,
            )
        started = time.monotonic()
        configs = self.store.read_sync(lambda tx: properties.load_configs(tx, license_id))
        return self._keep_configs(license_id, configs, started)

    async def load_configs(self, license_id: int) -> properties.Configs:
        """The license's configurations from the cache, or read through the store's reader
        pool when it has none (concurrent first uses share one read)."""
        cached = self._configs.get(license_id)
        if cached is not None:
            return cached[0]
        return await asyncio.shield(self._start_reload(license_id))

    async def reload_configs(self, license_id: int) -> properties.Configs:
        """Read a license's configurations now (after create_properties, say)."""
        started = time.monotonic()
        configs = await self.store.read(lambda tx: properties.load_configs(tx, license_id))
        return self._keep_configs(license_id, configs, started)

    def _keep_configs(
        self, license_id: int, configs: properties.Configs, started: float
    ) -> properties.Configs:
        # A read that started before the cached one (a slow background reload racing a
        # reload after create_properties) must not replace a newer result.
        cached = self._configs.get(license_id)
        if cached is not None and cached[2] > started:
            return cached[0]
        self._configs[license_id] = (configs, started + CONFIG_CACHE_SECONDS, started)
        return configs

    def _on_event_loop(self) -> bool:
        """Whether this thread runs the event loop (which is then remembered)."""
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def _start_reload(self, license_id: int) -> asyncio.Task[properties.Configs]:
        """The license's reload task on this event loop, started unless one is running."""
        loop = self._loop = asyncio.get_running_loop()
        task = self._config_reloads.get(license_id)
        if task is None or task.get_loop() is not loop:
            task = loop.create_task(self.reload_configs(license_id))
            self._config_reloads[license_id] = task
            task.add_done_callback(lambda done: self._reload_done(license_id, done))
        return task

    def _reload_done(self, license_id: int, task: asyncio.Task[properties.Configs]) -> None:
        if self._config_reloads.get(license_id) is task:
            del self._config_reloads[license_id]

    def _reload_soon(self, license_id: int) -> None:
        if self._on_event_loop():
            self._start_reload(license_id)
            return
        loop = self._loop
        if loop is not None and loop.is_running():
            # A writer thread (webhook bodies) keeps the stale entry; the loop reloads it.
            loop.call_soon_threadsafe(self._reload_soon, license_id)
            return
        # No event loop at all (command line, tests): read now.
        started = time.monotonic()
        configs = self.store.read_sync(lambda tx: properties.load_configs(tx, license_id))
        self._keep_configs(license_id, configs, started)

    def view_for(self, license_id: int, user_type: str) -> View:
        return View(
            user_type=user_type,
            configs=self.configs(license_id),
            is_online=lambda agent_id: self.hub.is_online(license_id, agent_id),
        )
