"""What identifiers a user's browser receives. Provider codes are public and always sent
in full. For roles without ``full_ids`` (viewers) every person, card, doctor and operator
id is replaced by an opaque handle (a keyed hash, stable for the server's life) and shown
only in the masked form of the exports, so no identifier reaches a viewer's browser; the
server maps handles back when the browser asks to expand one."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from graphscan.loaders.identifiers import normalise
from graphscan.serve.accounts import User
from graphscan.viz.identifiers import IdentifierView, view_kind

HANDLE_PREFIX = "h-"


class Handles:
    """handle -> (kind, id), shared by every request of one server."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.known: dict[str, tuple[str, str]] = {}
        self.issued: dict[tuple[str, str], str] = {}

    def handle(self, kind: str, ident: str) -> str:
        """Each entity's handle is computed once (a large neighbourhood names one entity
        in thousands of edges)."""
        handle = self.issued.get((kind, ident))
        if handle is None:
            digest = hmac.new(self.secret, f"{kind}\0{ident}".encode(), hashlib.sha256)
            handle = HANDLE_PREFIX + digest.hexdigest()[:20]
            self.issued[(kind, ident)] = handle
            self.known[handle] = (kind, ident)
        return handle


class Exposure:
    """Node ids and labels for one response to one user."""

    def __init__(self, user: User, handles: Handles, ids: Iterable[tuple[str, str]]) -> None:
        self.full = user.may("full_ids")
        self.handles = handles
        #: the (kind, id) pairs the masks were made unique among: rows fetched later for
        #: the same graph are masked with this pool again, so they read as the graph did
        self.pool = frozenset((kind, str(ident)) for kind, ident in ids)
        found: dict[str, set[str]] = {}
        for kind, ident in self.pool:
            found.setdefault(view_kind(kind), set()).add(ident)
        self.view = IdentifierView.masked(found)

    def node_id(self, kind: str, ident: str) -> str:
        kind = view_kind(kind)
        if self.full or kind == "provider":
            return str(ident)
        return self.handles.handle(kind, str(ident))

    def node_ids(self, kinds: list[str], idents: list[str]) -> list[str]:
        """``node_id`` of each (kind, id) pair: the ids themselves for a user who sees
        them in full (no call per entity of a large neighbourhood)."""
        if self.full:
            return [str(i) for i in idents]
        return [self.node_id(k, i) for k, i in zip(kinds, idents, strict=True)]

    def label(self, kind: str, ident: str) -> str:
        return self.view.show(view_kind(kind), str(ident))

    def scrub(self, text: str) -> str:
        return self.view.scrub(text or "")


def resolve(handles: Handles, user: User, node_id: str) -> str:
    """The store id behind a node id the browser sent. A handle the server never issued
    is refused; a viewer may still name an id it knows (that reveals nothing new), typed
    or pasted with what a load strips from one (a CRLF CSV's carriage return, a BOM)."""
    node_id = normalise(node_id)
    if node_id.startswith(HANDLE_PREFIX):
        found = handles.known.get(node_id)
        if found is None:
            raise LookupError(f"unknown entity handle {node_id!r} (reload the page)")
        return found[1]
    return node_id
