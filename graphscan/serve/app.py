"""The workbench's ASGI app (Starlette): login, sessions, roles, CSRF, the JSON API the
page uses, and the static page itself.

Authentication is a session cookie (HttpOnly, SameSite=Strict, Secure behind HTTPS) for
the page, or ``Authorization: Bearer TOKEN`` for scripts. Every change made through a
session must carry the session's CSRF token in ``X-CSRF-Token``; a bearer request carries
no cookie, so a forged cross-site request cannot use it and needs no token.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from graphscan.api import find_entity
from graphscan.casebook import CaseBook
from graphscan.errors import InputError, KeyMissing, StoreError, WorkspaceBusy
from graphscan.serve.accounts import Accounts, User
from graphscan.serve.audit import AuditLog
from graphscan.serve.exposure import Handles, resolve
from graphscan.serve.timing import HEADER as TIMING_HEADER
from graphscan.serve.timing import Timings
from graphscan.serve.views import (
    MAX_CLAIMS,
    ROWS_SHOWN,
    case_detail,
    case_queue,
    evidence_rows,
    exposure_for,
    graph_json,
    item_totals,
)
from graphscan.store import open_store
from graphscan.store.base import Store
from graphscan.workspace import Workspace

STATIC = Path(str(files("graphscan.serve") / "static"))
SESSION_COOKIE = "gs_session"
SESSION_IDLE_S = 8 * 3600
#: failed logins within the window before 429: per user name (guessing one password), and
#: per client address (trying many names; higher, since a bureau's NAT or proxy may put
#: several investigators behind one address)
USER_FAILURES, ADDRESS_FAILURES, LOGIN_WINDOW_S = 5, 20, 300
#: the workspace file stays open while requests keep coming and is closed after this much
#: idle time, so CLI commands get their turn (they wait up to workspace.LOCK_WAIT_S for
#: it). Reopening a 10-million-claim store costs 0.3-2 s: an investigator's next click
#: within this window finds it open.
IDLE_CLOSE_S = 5.0
EXPORTED_BY = "exported_by.txt"
#: entities one request may add to a case, open a case with or split off
MAX_EDIT = 500
#: graphs whose identifier pools are kept for fetching their further evidence rows
POOLS_KEPT = 64


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Books:
    """What one request works with: the case book, accounts and audit log of the
    workspace, and the store."""

    workspace: Workspace
    store: Store
    cases: CaseBook
    accounts: Accounts
    audit: AuditLog


class FastJSON(JSONResponse):
    """orjson: a 5,000-claim neighbourhood is megabytes of JSON, which the standard
    library's encoder takes several times longer to write."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


class Deployment:
    """The workspace (and store) one server serves. DuckDB allows one process per file, so
    the file is opened for a burst of requests and closed when idle; requests take turns."""

    def __init__(self, root: Path, store_uri: str | None) -> None:
        self.root = root
        self.store_uri = store_uri
        self.lock = threading.RLock()
        self._books: Books | None = None
        self._generation = 0
        self.shared_store = (
            None if store_uri in (None, "", "embedded") else open_store(store_uri, Workspace(root))
        )

    @contextmanager
    def books(self, timings: Timings | None = None) -> Iterator[Books]:
        timings = timings or Timings()
        with timings.phase("queue"):  # behind the requests before this one
            self.lock.acquire()
        try:
            self._generation += 1
            if self._books is None:
                with timings.phase("reopen"):
                    ws = Workspace(self.root, "graphscan serve")
                    store = self.shared_store or open_store(None, ws)
                    db = ws.db()
                    self._books = Books(ws, store, CaseBook(ws), Accounts(db), AuditLog(db))
            try:
                yield self._books
            finally:
                generation = self._generation
                timer = threading.Timer(IDLE_CLOSE_S, self._close_if_idle, [generation])
                timer.daemon = True
                timer.start()
        finally:
            self.lock.release()

    def _close_if_idle(self, generation: int) -> None:
        with self.lock:
            if generation == self._generation and self._books is not None:
                # what was committed is in DuckDB's write-ahead log already; folding the
                # log into the file (its checkpoint at close) took 9-27 s on a
                # 10-million-claim store after any write, even one audit entry, and the
                # next request waited behind it. The next open replays the log (0.05 s);
                # the server's stop (``close``) folds it in.
                self._books.workspace.db().execute("PRAGMA disable_checkpoint_on_shutdown")
                self._books.workspace.close()
                self._books = None

    def close(self) -> None:
        with self.lock:
            self._generation += 1
            if self._books is not None:
                self._books.workspace.close()
                self._books = None
            if self.shared_store is not None:
                self.shared_store.close()


@dataclass
class Session:
    name: str
    csrf: str
    last_seen: float


@dataclass
class Gate:
    """Sessions (in memory: a restart logs everyone out) and the login rate limit."""

    sessions: dict[str, Session] = field(default_factory=dict)
    failures: dict[str, deque[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self, name: str) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(32)
        session = Session(name, secrets.token_urlsafe(32), time.monotonic())
        with self.lock:
            self.sessions[sid] = session
        return sid, session

    def find(self, sid: str | None) -> Session | None:
        with self.lock:
            session = self.sessions.get(sid or "")
            if session is None:
                return None
            if time.monotonic() - session.last_seen > SESSION_IDLE_S:
                del self.sessions[sid or ""]
                return None
            session.last_seen = time.monotonic()
            return session

    def close(self, sid: str | None) -> None:
        with self.lock:
            self.sessions.pop(sid or "", None)

    def blocked(self, limits: dict[str, int]) -> float:
        """Seconds until a login may be tried again (0: now), given key -> failures
        allowed in the window."""
        now = time.monotonic()
        wait = 0.0
        with self.lock:
            for key, limit in limits.items():
                times = self.failures.get(key, deque())
                while times and now - times[0] > LOGIN_WINDOW_S:
                    times.popleft()
                if len(times) >= limit:
                    wait = max(wait, LOGIN_WINDOW_S - (now - times[-limit]))
        return wait

    def failed(self, *keys: str) -> None:
        with self.lock:
            for key in keys:
                self.failures.setdefault(key, deque()).append(time.monotonic())


@dataclass
class Pools:
    """token -> (user, the (kind, id) pool a graph's masks were made unique among),
    least recently used first. Rows fetched for a graph are masked with its pool, so an id
    reads as it did in the graph's nodes and first rows. The pool stays on the server: one
    sent by the page could be padded with ids sharing a target's prefix to lengthen its
    mask."""

    kept: OrderedDict[str, tuple[str, frozenset[tuple[str, str]]]] = field(
        default_factory=OrderedDict
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, user: User, pool: frozenset[tuple[str, str]]) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.kept[token] = (user.name, pool)
            while len(self.kept) > POOLS_KEPT:
                self.kept.popitem(last=False)
        return token

    def recall(self, user: User, token: Any) -> frozenset[tuple[str, str]]:
        if not isinstance(token, str) or not token:
            raise ApiError(400, "token: the rows_token of the graph the claims belong to")
        with self.lock:
            owner, pool = self.kept.get(token, (None, frozenset()))
            if owner != user.name:
                raise ApiError(410, "this graph has expired on the server: reload the graph")
            self.kept.move_to_end(token)
        return pool


@dataclass
class Caller:
    user: User
    session: Session | None


def _json_body(request_body: Any) -> dict[str, Any]:
    if not isinstance(request_body, dict):
        raise ApiError(400, "send a JSON object")
    return request_body


def _answer(case: Any) -> dict[str, Any]:
    """What a change to a case's contents answers: the case to show next."""
    return {"case_id": case.case_id, "members": len(case.members), "claims": len(case.claim_ids)}


def _date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name}: use a date such as 2025-03-01") from None


def create_app(root: Path, store_uri: str | None = None) -> Starlette:
    deployment = Deployment(root, store_uri)
    gate = Gate()
    handles = Handles(secrets.token_bytes(32))
    pools = Pools()

    def caller(request: Request, books: Books) -> Caller:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            user = books.accounts.by_token(header[7:].strip())
            if user is None:
                raise ApiError(401, "unknown or revoked API token")
            return Caller(user, None)
        session = gate.find(request.cookies.get(SESSION_COOKIE))
        user = books.accounts.get(session.name) if session else None
        if session is None or user is None:
            raise ApiError(401, "log in first / 请先登录")
        return Caller(user, session)

    def api(permission: str) -> Callable[[Callable[..., Any]], Callable[[Request], Any]]:
        """Authenticate, check the role, check CSRF on changes made through a session,
        turn expected failures into JSON errors."""

        def wrap(handler: Callable[..., Any]) -> Callable[[Request], Any]:
            async def endpoint(request: Request) -> Response:
                body = None
                if request.method == "POST":
                    try:
                        body = await request.json()
                    except ValueError:
                        body = None

                timings = request.state.timings = Timings()

                def work() -> Any:
                    with deployment.books(timings) as books:
                        with timings.phase("auth"):
                            who = caller(request, books)
                            if request.method == "POST" and who.session is not None:
                                sent = request.headers.get("x-csrf-token", "")
                                if not secrets.compare_digest(sent, who.session.csrf):
                                    raise ApiError(403, "missing or wrong CSRF token")
                        if not who.user.may(permission):
                            raise ApiError(
                                403, f"the {who.user.role} role may not do this ({permission})"
                            )
                        return handler(request, books, who.user, body)

                try:
                    result = await run_in_threadpool(work)
                except ApiError as exc:
                    return JSONResponse({"error": str(exc)}, exc.status)
                except LookupError as exc:
                    return JSONResponse({"error": str(exc).strip("'\"")}, 404)
                except WorkspaceBusy as exc:
                    return JSONResponse({"error": str(exc)}, 503)
                except (StoreError, InputError) as exc:
                    return JSONResponse({"error": str(exc)}, 400)
                if not isinstance(result, Response):
                    with timings.phase("json"):
                        result = FastJSON(result)
                result.headers[TIMING_HEADER] = timings.header()
                return result

            return endpoint

        return wrap

    # -- pages --------------------------------------------------------------------
    def page(name: str) -> Response:
        response = FileResponse(STATIC / name, media_type="text/html")
        response.headers["cache-control"] = "no-store"
        return response

    async def index(request: Request) -> Response:
        if gate.find(request.cookies.get(SESSION_COOKIE)) is None:
            return RedirectResponse("/login", 303)
        return page("index.html")

    async def login_page(request: Request) -> Response:
        return page("login.html")

    async def login(request: Request) -> Response:
        try:
            body = _json_body(await request.json())
        except (ValueError, ApiError):
            return JSONResponse({"error": "send JSON with name and password"}, 400)
        name, password = str(body.get("name", "")), str(body.get("password", ""))
        client = request.client.host if request.client else "?"
        limits = {f"ip:{client}": ADDRESS_FAILURES, f"user:{name}": USER_FAILURES}
        wait = gate.blocked(limits)
        if wait:
            return JSONResponse(
                {"error": "too many failed logins; wait / 登录失败次数过多，请稍后再试"},
                429,
                headers={"retry-after": str(int(wait) + 1)},
            )

        def check() -> User | None:
            with deployment.books() as books:
                user = books.accounts.check_password(name, password)
                books.audit.append(name or "?", "login" if user else "login_failed", client=client)
                return user

        user = await run_in_threadpool(check)
        if user is None:
            gate.failed(*limits)
            return JSONResponse({"error": "wrong name or password / 用户名或密码错误"}, 401)
        sid, session = gate.open(user.name)
        response = JSONResponse({"user": user.name, "role": user.role, "csrf": session.csrf})
        response.set_cookie(
            SESSION_COOKIE,
            sid,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @api("read")
    def logout(request: Request, books: Books, user: User, body: Any) -> Response:
        gate.close(request.cookies.get(SESSION_COOKIE))
        books.audit.append(user.name, "logout")
        response = JSONResponse({"ok": True})
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- API ----------------------------------------------------------------------
    @api("read")
    def session_info(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        session = gate.find(request.cookies.get(SESSION_COOKIE))
        from graphscan.serve.accounts import ROLES

        return {
            "user": user.name,
            "role": user.role,
            "permissions": sorted(ROLES[user.role]),
            "csrf": session.csrf if session else None,
            "engine": books.store.engine,
        }

    @api("read")
    def cases(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        try:
            return case_queue(books.cases, books.store, request.query_params, request.state.timings)
        except ValueError as exc:
            raise ApiError(400, f"bad query: {exc}") from None

    def _case(books: Books, case_id: str) -> Any:
        try:
            return books.cases.get(case_id)
        except ValueError as exc:
            raise ApiError(404, str(exc)) from None

    @api("read")
    def case(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        phase = request.state.timings.phase
        with phase("case"):
            found = _case(books, request.path_params["case_id"])
        with phase("store"):
            claims = books.store.claims(found.claim_ids)
        with phase("mask"):
            exposure = exposure_for(user, handles, claims, [(m.kind, m.id) for m in found.members])
        with phase("items"):
            items = item_totals(
                books.store.projection("evidence_items", claim_ids=sorted(found.claim_ids))
            )
        with phase("graph"):
            detail = case_detail(books.cases, found, claims, exposure, items)
            detail["graph"]["rows_token"] = pools.remember(user, exposure.pool)
        return detail

    @api("work")
    def set_status(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        body = _json_body(body)
        case_id = request.path_params["case_id"]
        before = _case(books, case_id).status
        status, note = str(body.get("status") or before), body.get("note") or None
        changed = books.cases.set_status(case_id, status, note, by=user.name)
        books.audit.append(user.name, "status", case_id, before=before, after=status,
                           note=bool(note))  # fmt: skip
        return {"case_id": case_id, "status": changed.status}

    def _entities(body: Any, user: User, key: str = "members") -> list[str]:
        """The store ids behind the node ids a request names."""
        wanted = body.get(key)
        if not isinstance(wanted, list) or not wanted or len(wanted) > MAX_EDIT:
            raise ApiError(400, f"{key}: a list of 1 to {MAX_EDIT} entity ids")
        return [resolve(handles, user, str(node)) for node in wanted]

    @api("work")
    def open_case(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        entities = _entities(_json_body(body), user)
        found = books.cases.open_case(entities, books.store, by=user.name)
        books.audit.append(user.name, "open_case", found.case_id, members=len(found.members))
        return _answer(found)

    @api("work")
    def add_members(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        entities = _entities(_json_body(body), user)
        found = books.cases.add_members(
            request.path_params["case_id"], entities, books.store, by=user.name
        )
        books.audit.append(user.name, "add_members", found.case_id, added=len(entities))
        return _answer(found)

    @api("work")
    def merge(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        other = str(_json_body(body).get("other") or "")
        found = books.cases.merge(request.path_params["case_id"], other, books.store,
                                  by=user.name)  # fmt: skip
        books.audit.append(user.name, "merge", found.case_id, merged=other)
        return _answer(found)

    @api("work")
    def split(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        entities = _entities(_json_body(body), user)
        case_id = request.path_params["case_id"]
        found = books.cases.split(case_id, entities, books.store, by=user.name)
        books.audit.append(user.name, "split", case_id, into=found.case_id, moved=len(entities))
        return _answer(found)

    @api("assign")
    def assign(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        body = _json_body(body)
        case_id = request.path_params["case_id"]
        assignee = body.get("assignee") or None
        if assignee is not None and books.accounts.get(str(assignee)) is None:
            raise ApiError(400, f"no user {assignee!r}")
        books.cases.assign(case_id, assignee, user.name)
        books.audit.append(user.name, "assign", case_id, assignee=assignee)
        return {"case_id": case_id, "assignee": assignee}

    @api("reveal")
    def reveal(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        from graphscan.pseudonym import Pseudonymiser

        found = _case(books, request.path_params["case_id"])
        try:
            key = Pseudonymiser.from_environment(create=False)
        except KeyMissing:
            raise ApiError(409, "this server has no pseudonymisation key to reveal with") from None
        pseudonyms = [m.id for m in found.members if m.kind in ("person", "card")]
        clear = key.reveal(pseudonyms)
        books.audit.append(user.name, "reveal", found.case_id, identities=len(clear))
        return {"case_id": found.case_id, "clear": clear}

    @api("export")
    def export(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        from graphscan.api import case_context
        from graphscan.viz.package import export_case, safe_name

        found = _case(books, request.path_params["case_id"])
        claims = books.store.claims(found.claim_ids)
        folder = books.workspace.exports_dir / safe_name(found.case_id) / f"by-{user.name}"
        stamp = f"导出人 exported by: {user.name} ({user.role}), graphscan serve\n".encode()
        context = case_context(books.store, found, claims)
        package = export_case(found, claims, folder, None, context, {EXPORTED_BY: stamp})
        books.audit.append(user.name, "export", found.case_id, fingerprint=package.fingerprint)
        return {
            "case_id": found.case_id,
            "fingerprint": package.fingerprint,
            "download": f"/api/cases/{found.case_id}/export/{package.zip_path.name}",
        }

    @api("export")
    def download(request: Request, books: Books, user: User, body: Any) -> Response:
        from graphscan.viz.package import safe_name

        case_id, name = request.path_params["case_id"], request.path_params["name"]
        folder = books.workspace.exports_dir / safe_name(case_id) / f"by-{user.name}"
        path = folder / safe_name(name)
        if not path.is_file() or path.suffix != ".zip":
            raise ApiError(404, "no such package; export it first")
        return FileResponse(path, media_type="application/zip", filename=path.name)

    @api("read")
    def neighbours(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        params = request.query_params
        entity = resolve(handles, user, request.path_params["entity_id"])
        try:
            hops = max(1, min(int(params.get("hops", 1)), 4))
        except ValueError:
            raise ApiError(400, "hops: a number from 1 to 4") from None
        since, until = _date(params.get("since"), "since"), _date(params.get("until"), "until")
        phase = request.state.timings.phase
        with phase("store"):
            entity, claims = find_entity(books.store, books.workspace, entity, hops, since, until)
        if len(claims) > MAX_CLAIMS:
            raise ApiError(413, f"{len(claims)} claims: narrow the dates or the hops")
        with phase("mask"):
            exposure = exposure_for(user, handles, claims)
        with phase("cases"):
            marks = books.cases.cases_of({ident for _, ident in exposure.pool})
            member_marks = {}
            for (kind, ident), ids in marks.items():
                member_marks[(kind, ident)] = ids
                if kind in ("institution", "pharmacy"):
                    member_marks[("institution", ident)] = member_marks[("pharmacy", ident)] = ids
        with phase("graph"):
            result = graph_json(claims, exposure, memberships=member_marks)
            result["rows_token"] = pools.remember(user, exposure.pool)
        result["focus"] = (
            exposure.node_id(_kind_of(claims, entity), entity) if len(claims) else None
        )
        return result

    @api("read")
    def claim_rows(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        """Evidence rows of the claims the page names (those of a brushed window that the
        graph's first rows did not cover), masked among the pool of the graph its
        ``rows_token`` names. A POST: a window's ids do not fit a URL."""
        asked = _json_body(body)
        wanted = asked.get("claims")
        if not isinstance(wanted, list) or len(wanted) > ROWS_SHOWN:
            raise ApiError(400, f"claims: a list of at most {ROWS_SHOWN} claim ids")
        pool = pools.recall(user, asked.get("token"))
        claims = books.store.claims(sorted({str(c) for c in wanted}))
        exposure = exposure_for(user, handles, claims, pool)
        if exposure.pool != pool:
            raise ApiError(400, "claims: only claims of the graph the token names")
        return {"rows": evidence_rows(claims, exposure)}

    @api("assign")
    def users(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        return {"users": [{"name": n, "role": r} for n, r, _, _ in books.accounts.list()]}

    @api("assign")
    def audit(request: Request, books: Books, user: User, body: Any) -> dict[str, Any]:
        entries = books.audit.entries(limit=200)
        return {"entries": [{**e, "at": e["at"].isoformat()} for e in entries]}

    routes = [
        Route("/", index),
        Route("/login", login_page),
        Route("/api/login", login, methods=["POST"]),
        Route("/api/logout", logout, methods=["POST"]),
        Route("/api/session", session_info),
        Route("/api/cases", cases),
        Route("/api/cases", open_case, methods=["POST"]),
        Route("/api/cases/{case_id}", case),
        Route("/api/cases/{case_id}/status", set_status, methods=["POST"]),
        Route("/api/cases/{case_id}/assign", assign, methods=["POST"]),
        Route("/api/cases/{case_id}/members", add_members, methods=["POST"]),
        Route("/api/cases/{case_id}/merge", merge, methods=["POST"]),
        Route("/api/cases/{case_id}/split", split, methods=["POST"]),
        Route("/api/cases/{case_id}/reveal", reveal, methods=["POST"]),
        Route("/api/cases/{case_id}/export", export, methods=["POST"]),
        Route("/api/cases/{case_id}/export/{name}", download),
        Route("/api/entities/{entity_id}/neighbours", neighbours),
        Route("/api/claims/rows", claim_rows, methods=["POST"]),
        Route("/api/users", users),
        Route("/api/audit", audit),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        deployment.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(_SecurityHeaders)
    return app


def _kind_of(claims: Any, entity: str) -> str:
    from graphscan.viz.explore import entity_kind

    return entity_kind(claims, entity)


class _SecurityHeaders:
    """No framing, no sniffing, no referrer, scripts and styles from the server only."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] += [
                    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; "
                     b"style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]  # fmt: skip
            await send(message)

        await self.app(scope, receive, with_headers)
