"""Claims → the entity graph drawn for a case or a neighbourhood.

Every claim links the people, cards, doctors, operators and providers it names; links
between the same two entities are aggregated into one weighted edge (claims, amount,
first and last date), so a ring of thousands of claims stays a readable picture. Above
``MAX_NODES`` the lightest entities are left out and the page says what was left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyvis.network import Network

from graphscan.rings import ROLES
from graphscan.schema import ENTITY_COLUMNS, card_used, provider_member_kinds
from graphscan.viz.evidence import provider_names
from graphscan.viz.identifiers import IdentifierView, view_kind

MAX_NODES = 500

#: kind -> (Chinese name, English name, vis shape, colour)
NODE_KINDS: dict[str, tuple[str, str, str, str]] = {
    "person": ("参保人", "insured person", "dot", "#4e79a7"),
    "card": ("医保卡", "insurance card", "square", "#76b7b2"),
    "doctor": ("医师", "doctor", "triangle", "#59a14f"),
    "institution": ("医疗机构", "institution", "diamond", "#b07aa1"),
    "pharmacy": ("药店", "pharmacy", "hexagon", "#f28e2b"),
    "operator": ("操作员", "operator", "triangleDown", "#9c755f"),
}
#: relation -> (Chinese, English, arrow)
RELATIONS: dict[str, tuple[str, str, str]] = {
    "holds": ("持卡", "holds card", ""),
    "claims_at": ("就诊/购药", "claims at", "to"),
    "treats": ("诊疗/开方", "treated or prescribed for", "to"),
    "sends_to": ("执业/处方流向", "works at or prescribes to", "to"),
    "swipes": ("刷卡", "swiped the card", "to"),
    "works_at": ("操作于", "operates at", "to"),
}
#: Links that are no claim: drawn dashed, from the store's other tables.
CONTACTS: dict[str, tuple[str, str, str]] = {
    "shares_phone": ("共用电话", "registered the same phone number", ""),
    "practises_at": ("执业于", "practises at", "to"),
}
MEMBER_BORDER = "#d62728"
FOCUS_BORDER = "#111111"


@dataclass(frozen=True)
class Omitted:
    """What a summarised graph leaves out, for the note on the page."""

    nodes_by_kind: dict[str, int]
    claims: int

    @property
    def nodes(self) -> int:
        return sum(self.nodes_by_kind.values())


@dataclass
class EntityGraph:
    nodes: list[dict[str, object]]
    edges: list[dict[str, object]]
    options: dict[str, object]
    omitted: Omitted | None = None
    counts_by_kind: dict[str, int] = field(default_factory=dict)


def _money(value: float) -> str:
    return f"¥{value:,.2f}"


def _day(value: pd.Timestamp) -> str:
    return value.strftime("%Y-%m-%d")


def provider_kinds(claims: pd.DataFrame, declared: Mapping[tuple[str, str], str]) -> pd.Series:
    """A provider is what a case says it is, else what the store says (schema)."""
    kinds = provider_member_kinds(claims)
    for provider in kinds.index:
        if ("pharmacy", provider) in declared:
            kinds[provider] = "pharmacy"
        elif ("institution", provider) in declared:
            kinds[provider] = "institution"
    return kinds


#: relation -> the two ends of its links, as slots of a claim (see ``link_codes``)
LINKED: dict[str, tuple[str, str]] = {
    "holds": ("person", "holder"),
    "claims_at": ("holder", "provider"),
    "treats": ("doctor", "holder"),
    "sends_to": ("doctor", "provider"),
    "swipes": ("operator", "holder"),
    "works_at": ("operator", "provider"),
}
#: the relation names as an array, indexed by ``LinkCodes.relation``
RELATION_NAMES = np.asarray(list(LINKED), dtype=object)


@dataclass(frozen=True)
class LinkCodes:
    """One row per (claim, entity a, entity b, relation) as integers: ``row`` is the
    claim's position in the claims, ``a`` and ``b`` entity numbers (-1 for a missing id)
    into ``entities`` (``kind``, ``id``), ``relation`` an index into ``LINKED``. A
    neighbourhood of thousands of claims is aggregated on these instead of string pairs."""

    row: np.ndarray
    a: np.ndarray
    b: np.ndarray
    relation: np.ndarray
    entities: pd.DataFrame

    def frame(self, claims: pd.DataFrame) -> pd.DataFrame:
        """The links with their entities, claim id, amount and time spelled out."""
        kinds = np.append(self.entities["kind"].to_numpy(object), None)
        ids = np.append(self.entities["id"].to_numpy(object), None)
        return pd.DataFrame(
            {
                "claim_id": claims["claim_id"].to_numpy()[self.row],
                "a_kind": kinds[self.a],
                "a_id": ids[self.a],
                "b_kind": kinds[self.b],
                "b_id": ids[self.b],
                "relation": RELATION_NAMES[self.relation],
                "amount": claims["total_amount"].to_numpy()[self.row],
                "time": claims["start_time"].to_numpy()[self.row],
            }
        )


def link_codes(claims: pd.DataFrame, provider_kind: pd.Series) -> LinkCodes:
    """Every claim links the entities it names (``LINKED``): the person to the card used
    when it is not their own, what was used to the provider, the doctor and the operator
    to both."""
    holder_kind, holder_id = holders(claims)
    slots = {
        "person": ("person", claims["person_id"]),
        "holder": (holder_kind, holder_id),
        "doctor": ("doctor", claims["doctor_id"]),
        "operator": ("operator", claims["operator_id"]),
        "provider": (claims["provider_id"].map(provider_kind), claims["provider_id"]),
    }
    n = len(claims)
    kinds = np.concatenate(
        [np.broadcast_to(np.asarray(k, dtype=object), n) for k, _ in slots.values()]
    )
    ids = np.concatenate([np.asarray(i, dtype=object) for _, i in slots.values()])
    kind_codes, kind_names = pd.factorize(kinds)
    id_codes, id_names = pd.factorize(ids)
    known = (id_codes >= 0) & (kind_codes >= 0)
    width = max(len(kind_names), 1)
    codes = np.full(len(ids), -1, dtype=np.int64)
    codes[known], pairs = pd.factorize(id_codes[known].astype(np.int64) * width + kind_codes[known])
    entities = pd.DataFrame(
        {
            "kind": np.asarray(kind_names, dtype=object)[pairs % width],
            "id": np.asarray(id_names, dtype=object)[pairs // width],
        }
    )
    of = {slot: codes[i * n : (i + 1) * n] for i, slot in enumerate(slots)}
    doctor = claims["doctor_id"].notna().to_numpy()
    operator = claims["operator_id"].notna().to_numpy()
    when = {
        "holds": np.asarray(holder_kind == "card"),
        "claims_at": np.ones(n, dtype=bool),
        "treats": doctor,
        "sends_to": doctor,
        "swipes": operator,
        "works_at": operator,
    }
    rows, a, b, relation = [], [], [], []
    for index, (name, (left, right)) in enumerate(LINKED.items()):
        picked = np.flatnonzero(when[name])
        rows.append(picked)
        a.append(of[left][picked])
        b.append(of[right][picked])
        relation.append(np.full(len(picked), index, dtype=np.int64))
    return LinkCodes(
        np.concatenate(rows), np.concatenate(a), np.concatenate(b), np.concatenate(relation),
        entities,
    )  # fmt: skip


def holders(claims: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Kind and id of what was used per claim: the card when the claim names a card other
    than the person's own, else the person."""
    card = card_used(claims)
    person = claims["person_id"].astype(object)
    other_card = card != person
    return other_card.map({True: "card", False: "person"}), card.where(other_card, person)


def entity_stats(codes: LinkCodes, claims: pd.DataFrame) -> pd.DataFrame:
    """Claims, amount and period per entity, counting each claim once (the case page and
    the workbench's graph). numpy reductions over the (entity, claim) pairs, which
    ``np.unique`` leaves grouped by entity: a pandas group-by of thousands of rows was a
    fifth of a large neighbourhood's graph."""
    ends = np.concatenate([codes.a, codes.b])
    rows = np.concatenate([codes.row, codes.row])
    key = np.where(ends >= 0, ends * (len(claims) + 1) + rows, -1)
    _, once = np.unique(key, return_index=True)
    once = once[ends[once] >= 0]
    entity, row = ends[once], rows[once]  # sorted by entity, then claim row
    starts = np.flatnonzero(np.r_[True, entity[1:] != entity[:-1]]) if len(entity) else once
    times = claims["start_time"].to_numpy()[row]
    stats = pd.DataFrame(
        {
            "claims": np.diff(np.r_[starts, len(entity)]),
            "amount": np.add.reduceat(claims["total_amount"].to_numpy(float)[row], starts)
            if len(entity)
            else np.zeros(0),
            "first": np.minimum.reduceat(times, starts) if len(entity) else times,
            "last": np.maximum.reduceat(times, starts) if len(entity) else times,
        }
    )
    named = codes.entities.iloc[entity[starts]]
    stats.index = pd.MultiIndex.from_arrays([named["kind"], named["id"]], names=["kind", "id"])
    return stats.sort_index()


def _keep(stats: pd.DataFrame, pinned: set[tuple[str, str]], limit: int) -> set[tuple[str, str]]:
    """The pinned entities, then the busiest others (ties by kind and id) up to ``limit``."""
    ranked = stats.reset_index().sort_values(
        ["claims", "kind", "id"], ascending=[False, True, True]
    )
    keep = {e for e in pinned if e in stats.index}
    for kind, ident in zip(ranked["kind"], ranked["id"], strict=True):
        if len(keep) >= limit:
            break
        keep.add((kind, ident))
    return keep


def build_graph(
    claims: pd.DataFrame,
    view: IdentifierView,
    roles: Mapping[tuple[str, str], str] | None = None,
    marks: Mapping[tuple[str, str], list[str]] | None = None,
    focus: tuple[str, str] | None = None,
    max_nodes: int = MAX_NODES,
    seed: int = 7,
    contacts: Iterable[tuple[tuple[str, str], tuple[str, str], str]] = (),
    provider_labels: Mapping[str, str] | None = None,
) -> EntityGraph:
    """Aggregate ``claims`` into a pyvis network.

    ``roles`` gives ring members ``(kind, id) -> role`` (drawn with a red border);
    ``marks`` lists the cases an entity belongs to (exploration); ``focus`` is the
    entity an exploration starts from. ``contacts`` are links that are no claim,
    ``(entity, entity, relation of CONTACTS)``: an organiser with no claims of their own
    is drawn by the phone they share with recruits, a prescribing doctor by the
    institution they practise at; ``provider_labels`` names providers the claims do not.
    """
    claims = claims.astype({c: object for c in ENTITY_COLUMNS}).assign(
        total_amount=claims["total_amount"].astype(float)
    )
    provider_kind = provider_kinds(claims, roles or {})
    roles = {_as_drawn(e, provider_kind): r for e, r in (roles or {}).items()}
    marks = {_as_drawn(e, provider_kind): c for e, c in (marks or {}).items()}
    focus = _as_drawn(focus, provider_kind) if focus else None
    names = {**(provider_labels or {}), **provider_names(claims)}
    codes = link_codes(claims, provider_kind)
    links = codes.frame(claims)
    stats = entity_stats(codes, claims)
    contacts = sorted(
        {(_as_drawn(a, provider_kind), _as_drawn(b, provider_kind), r) for a, b, r in contacts}
    )
    stats = _with_contacts(stats, contacts)
    pinned = set(roles) | set(marks) | ({focus} if focus else set())
    keep = _keep(stats, pinned, max_nodes)
    omitted = None
    if len(keep) < len(stats):
        left_out = stats.index.difference(pd.MultiIndex.from_tuples(sorted(keep)))
        lost = links.set_index(["a_kind", "a_id"]).index.isin(left_out) | links.set_index(
            ["b_kind", "b_id"]
        ).index.isin(left_out)
        by_kind = pd.Series([k for k, _ in left_out]).value_counts().sort_index()
        omitted = Omitted(
            {str(k): int(v) for k, v in by_kind.items()}, int(links[lost]["claim_id"].nunique())
        )
    kept = pd.MultiIndex.from_tuples(sorted(keep))
    kept_a = pd.MultiIndex.from_arrays([links["a_kind"], links["a_id"]]).isin(kept)
    kept_b = pd.MultiIndex.from_arrays([links["b_kind"], links["b_id"]]).isin(kept)
    links = links[kept_a & kept_b]

    net = Network(directed=True, cdn_resources="in_line")
    node_ids: dict[tuple[str, str], str] = {}
    order = list(NODE_KINDS)
    counts: dict[str, int] = {}
    top = max(int(stats["claims"].max()), 1) if len(stats) else 1
    for kind, ident in sorted(keep, key=lambda e: (order.index(e[0]), e[1])):
        row = stats.loc[(kind, ident)]
        zh, en, shape, colour = NODE_KINDS[kind]
        shown = view.show(view_kind(kind), ident)
        name = names.get(ident) if view_kind(kind) == "provider" else None
        node_id = f"{kind}:{shown}"
        node_ids[(kind, ident)] = node_id
        counts[kind] = counts.get(kind, 0) + 1
        lines = [f"{zh} {en}", *([name] if name else []), shown]
        role = roles.get((kind, ident))
        if role:
            rz, re_ = ROLES.get(role, (role, role))
            lines.append(f"角色 role: {rz} {re_}")
        if row["claims"]:
            lines += [
                f"单据 claims: {int(row['claims'])}",
                f"金额 amount: {_money(float(row['amount']))}",
                f"首次 first: {_day(row['first'])}",
                f"末次 last: {_day(row['last'])}",
            ]
        else:
            lines.append("本人无单据 no claims of their own")
        lines += [
            f"{CONTACTS[rel][0]} {CONTACTS[rel][1]}: {n}"
            for rel, n in sorted(_contact_counts(contacts, (kind, ident)).items())
        ]
        cases = marks.get((kind, ident))
        if cases:
            lines.append("所属案件 cases: " + ", ".join(cases))
        border = FOCUS_BORDER if focus == (kind, ident) else None
        border = border or (MEMBER_BORDER if role or cases else None)
        net.add_node(
            node_id,
            label=f"{zh}\n{name or shown}",
            shape=shape,
            color={"background": colour, "border": border or colour},
            borderWidth=4 if border else 1,
            size=12 + 18 * math.log1p(float(row["claims"])) / math.log1p(top),
            title="\n".join(lines),
            kind=kind,
        )
    edges = (
        links.groupby(["a_kind", "a_id", "b_kind", "b_id", "relation"])
        .agg(
            claims=("claim_id", "nunique"),
            amount=("amount", "sum"),
            first=("time", "min"),
            last=("time", "max"),
        )
        .reset_index()
    )
    heaviest = max(int(edges["claims"].max()), 1) if len(edges) else 1
    for e in edges.itertuples(index=False):
        zh, en, arrow = RELATIONS[e.relation]
        net.add_edge(
            node_ids[(e.a_kind, e.a_id)],
            node_ids[(e.b_kind, e.b_id)],
            width=1 + 7 * math.log1p(e.claims) / math.log1p(heaviest),
            arrows=arrow,
            title="\n".join(
                [
                    f"{zh} {en}",
                    f"单据 claims: {e.claims}",
                    f"金额 amount: {_money(float(e.amount))}",
                    f"首次 first: {_day(e.first)}",
                    f"末次 last: {_day(e.last)}",
                ]
            ),
            weight=int(e.claims),
        )
    for a, b, relation in contacts:
        if a not in node_ids or b not in node_ids:
            continue
        zh, en, arrow = CONTACTS[relation]
        net.add_edge(
            node_ids[a], node_ids[b], width=1, arrows=arrow, dashes=True, title=f"{zh} {en}"
        )
    nodes, edge_list, *_ = net.get_network_data()
    return EntityGraph(nodes, edge_list, _options(seed, len(nodes)), omitted, counts)


def _with_contacts(
    stats: pd.DataFrame, contacts: list[tuple[tuple[str, str], tuple[str, str], str]]
) -> pd.DataFrame:
    """Entities that only a contact names (no claims of their own) join with zero claims."""
    known = set(stats.index)
    extra = sorted({e for a, b, _ in contacts for e in (a, b)} - known)
    if not extra:
        return stats
    zero = pd.DataFrame(
        {"claims": 0, "amount": 0.0, "first": pd.NaT, "last": pd.NaT},
        index=pd.MultiIndex.from_tuples(extra, names=stats.index.names),
    )
    return pd.concat([stats, zero])


def _contact_counts(
    contacts: list[tuple[tuple[str, str], tuple[str, str], str]], entity: tuple[str, str]
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for a, b, relation in contacts:
        if entity in (a, b):
            counts[relation] = counts.get(relation, 0) + 1
    return counts


def _as_drawn(entity: tuple[str, str], provider_kind: pd.Series) -> tuple[str, str]:
    """Cases name providers as institution or pharmacy; the graph decides from claims."""
    kind, ident = entity
    if kind in ("institution", "pharmacy", "provider") and ident in provider_kind.index:
        return (str(provider_kind[ident]), ident)
    return entity


def _options(seed: int, nodes: int) -> dict[str, object]:
    """Seeded layout, physics run to a stable picture and then frozen (see the page)."""
    return {
        "layout": {"randomSeed": seed, "improvedLayout": nodes <= 150},
        "physics": {
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {
                "gravitationalConstant": -90,
                "springLength": 170,
                "avoidOverlap": 0.4,
            },
            "stabilization": {"enabled": True, "iterations": 400, "fit": True},
        },
        "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False},
        "nodes": {"font": {"size": 16, "face": "Noto Sans CJK SC, sans-serif", "multi": False}},
        "edges": {
            "smooth": False,
            "color": {"color": "#9aa5b1", "highlight": "#d62728"},
            "arrows": {"to": {"scaleFactor": 0.4}},
        },
    }
