"""Pseudonymisation of personal identifiers, and re-identification for investigators.

A pseudonym is the first 20 hex digits of HMAC-SHA256(key, clear id): stable for one key,
useless without it. So that an authorised investigator can get the clear id back, every
new clear id is also written to a *vault* beside the key file (never in a workspace):
an append-only file of AES-GCM sealed blocks of ``pseudonym<TAB>clear id`` lines. Blocks
sealed with another key fail authentication and are skipped, so one vault survives key
changes. The key comes from GRAPHSCAN_KEY (any secret text), else from GRAPHSCAN_KEY_FILE
(default ~/.config/graphscan/key), which is created with mode 0600 on first use.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from graphscan.errors import KeyMismatch, KeyMissing, KeyRefused
from graphscan.i18n import t

if TYPE_CHECKING:
    from graphscan.store.base import Store
    from graphscan.workspace import Workspace

PSEUDONYM_HEX = 20
_NONCE = 12
_HEADER = struct.Struct(">I")


def default_key_file() -> Path:
    configured = os.environ.get("GRAPHSCAN_KEY_FILE")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".config" / "graphscan" / "key"


def default_vault_file() -> Path:
    configured = os.environ.get("GRAPHSCAN_VAULT_FILE")
    return Path(configured).expanduser() if configured else default_key_file().with_name("vault")


def _refuse_inside(folder: Path, secrets_: list[Path]) -> None:
    root = folder.resolve()
    for secret in secrets_:
        if secret.resolve().is_relative_to(root):
            raise KeyRefused(
                t(
                    "密钥或假名库 {k} 不能放在工作区内; 请把 GRAPHSCAN_KEY_FILE / "
                    "GRAPHSCAN_VAULT_FILE 指到工作区之外",
                    "the key or vault {k} must not live in the workspace; point "
                    "GRAPHSCAN_KEY_FILE / GRAPHSCAN_VAULT_FILE outside it",
                    k=secret,
                )
            )


def _subkey(master: bytes, label: bytes) -> bytes:
    return hmac.digest(master, b"graphscan/" + label, "sha256")


class Pseudonymiser:
    """Keyed hashing of personal identifiers plus the vault that reverses it."""

    def __init__(self, master_key: bytes, vault_file: Path, key_file: Path | None = None) -> None:
        self._hash_key = _subkey(master_key, b"pseudonym")
        # HMAC-SHA256 (RFC 2104) from its padded keys: DuckDB hashes millions of ids in
        # its vectorised engine, given the pads as bound parameters (never in SQL text)
        block = self._hash_key.ljust(64, b"\0")
        self._pads = [bytes(b ^ 0x5C for b in block), bytes(b ^ 0x36 for b in block)]
        self._engine: duckdb.DuckDBPyConnection | None = None
        self._seal = AESGCM(_subkey(master_key, b"vault"))
        self.vault_file = vault_file
        self.key_file = key_file
        self._known: dict[str, str] | None = None

    @classmethod
    def from_environment(cls, create: bool = True, outside: Path | None = None) -> Pseudonymiser:
        """The key from GRAPHSCAN_KEY, else the key file; ``create`` makes a new key file
        (0600) when there is none, otherwise a missing key raises KeyMissing. A key file
        or vault inside the folder ``outside`` (a workspace) is refused before anything is
        created there: whoever gets the store must not get the means to re-identify it."""
        vault = default_vault_file()
        secret = os.environ.get("GRAPHSCAN_KEY")
        key_file = None if secret else default_key_file()
        if outside is not None:
            _refuse_inside(outside, [p for p in (key_file, vault) if p is not None])
        if secret:
            return cls(secret.encode(), vault)
        assert key_file is not None
        if not key_file.exists():
            if not create:
                raise KeyMissing(str(key_file))
            key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
        return cls(bytes.fromhex(key_file.read_text().strip()), vault, key_file)

    # -- hashing -------------------------------------------------------------------------
    def _digests(self, clear: pa.Array) -> pa.Array:
        """HMAC-SHA256 of each value, its first PSEUDONYM_HEX hex digits, in order. A
        private in-memory engine that cannot spill: the values are clear ids. A cursor
        per call, so threads sharing this object do not share a connection."""
        if self._engine is None:
            self._engine = duckdb.connect(config={"temp_directory": ""})
        with self._engine.cursor() as engine:
            engine.register("_clear", pa.table({"clear": clear}))
            hashed = engine.sql(
                "SELECT left(sha256($1 || unhex(sha256($2 || encode(clear)))), "
                f"{PSEUDONYM_HEX}) AS pseudonym FROM _clear",
                params=self._pads,
            )
            return hashed.to_arrow_table()["pseudonym"].combine_chunks()

    def pseudonymise_array(self, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Pseudonyms for a string column; blank and null stay null. Hashes each distinct
        value once and vaults the ones never seen before."""
        values = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        distinct = pc.unique(values).drop_null()
        hashed = self._digests(distinct)
        known = self._known_ids()
        fresh = pc.invert(pc.is_in(distinct, value_set=pa.array(list(known), pa.string())))
        if pc.any(fresh).as_py():
            new = dict(
                zip(
                    pc.filter(distinct, fresh).to_pylist(),
                    pc.filter(hashed, fresh).to_pylist(),
                    strict=True,
                )
            )
            self._append_vault(new)
            known.update(new)
        positions = pc.index_in(values, value_set=distinct)
        return pc.take(hashed, positions)

    def pseudonymise(self, values: pd.Series) -> pd.Series:
        """Pseudonyms for a pandas column (same index); missing values stay missing."""
        array = pa.array(values.astype(object).where(values.notna(), None), pa.string())
        return pd.Series(
            self.pseudonymise_array(array).to_pylist(), index=values.index, dtype=object
        )

    # -- the vault -----------------------------------------------------------------------
    def _known_ids(self) -> dict[str, str]:
        if self._known is None:
            self._known = {clear: pseudo for pseudo, clear in self._vault_pairs()}
        return self._known

    def _append_vault(self, fresh: dict[str, str]) -> None:
        payload = "".join(f"{p}\t{c}\n" for c, p in fresh.items()).encode()
        nonce = secrets.token_bytes(_NONCE)
        sealed = nonce + self._seal.encrypt(nonce, payload, b"graphscan-vault")
        self.vault_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.vault_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "ab") as out:
            out.write(_HEADER.pack(len(sealed)) + sealed)

    def _vault_pairs(self) -> Iterable[tuple[str, str]]:
        if not self.vault_file.exists():
            return
        data = self.vault_file.read_bytes()
        offset = 0
        while offset + _HEADER.size <= len(data):
            (size,) = _HEADER.unpack_from(data, offset)
            block = data[offset + _HEADER.size : offset + _HEADER.size + size]
            offset += _HEADER.size + size
            try:
                payload = self._seal.decrypt(block[:_NONCE], block[_NONCE:], b"graphscan-vault")
            except (InvalidTag, ValueError):
                continue  # sealed with another key, or a torn last write
            for line in payload.decode().splitlines():
                pseudo, _, clear = line.partition("\t")
                yield pseudo, clear

    def reveal(self, pseudonyms: Iterable[str]) -> dict[str, str]:
        """Clear ids for the given pseudonyms (pseudonym -> clear); unknown ones omitted."""
        wanted = {p.strip() for p in pseudonyms}
        return {p: c for p, c in self._vault_pairs() if p in wanted}

    def key_exposed(self) -> bool:
        """The key file can be read by the group or by others (it should be 0600)."""
        return self.key_file is not None and bool(self.key_file.stat().st_mode & 0o077)

    def pseudonyms(self) -> list[str]:
        """Every pseudonym the vault can reveal, so that a masked one from an export
        (its first characters) can be matched."""
        return [pseudo for pseudo, _ in self._vault_pairs()]

    def fingerprint(self) -> str:
        """A short non-secret id of the key, so a store can say which key hashed it."""
        return hashlib.sha256(self._hash_key).hexdigest()[:12]


def recorded_key(workspace: Workspace, store: Store | None = None) -> str | None:
    """Fingerprint of the key the workspace's data was pseudonymised with: as the
    workspace recorded it, else as the store's newest load did (a shared server, or a
    workspace of an earlier version)."""
    if workspace.key_fingerprint is not None:
        return workspace.key_fingerprint
    if store is not None:
        found = store.projection("last_load_key")
        if not found.empty:
            return str(found["key_fingerprint"].iloc[0])
    return None


def require_same_key(keys: Pseudonymiser, workspace: Workspace, store: Store | None = None) -> None:
    """Refuse a key other than the one the workspace's data was pseudonymised with."""

    recorded = recorded_key(workspace, store)
    if recorded is not None and recorded != keys.fingerprint():
        raise KeyMismatch(
            t(
                "工作区 {p} 的数据用指纹为 {a} 的密钥假名化，当前密钥指纹为 {b}：请设置原来的"
                " GRAPHSCAN_KEY / GRAPHSCAN_KEY_FILE（确需换用新密钥时导入加 --new-key）",
                "workspace {p} was pseudonymised with the key of fingerprint {a}, but the "
                "current key has fingerprint {b}: set its GRAPHSCAN_KEY / "
                "GRAPHSCAN_KEY_FILE (load --new-key to really switch keys)",
                p=workspace.root,
                a=recorded,
                b=keys.fingerprint(),
            )
        )


def workspace_key(
    workspace: Workspace,
    store: Store | None = None,
    loading: bool = False,
    new_key: bool = False,
) -> Pseudonymiser | None:
    """The key for ``workspace`` (and its ``store``), checked against the fingerprint
    its data was pseudonymised with: one key, one identity. ``loading`` records the key
    in the workspace and creates a key file when there is none, but not where data is
    already held unless ``new_key`` (which also accepts a key other than the recorded
    one). Otherwise no key is None and another key raises KeyMismatch; nothing is
    created."""
    try:
        keys = Pseudonymiser.from_environment(create=False, outside=workspace.root)
    except KeyMissing as missing:
        if not loading:
            return None
        recorded = recorded_key(workspace, store)
        if (recorded is not None or workspace.holds_data) and not new_key:
            raise KeyRefused(
                t(
                    "没有找到假名化密钥（GRAPHSCAN_KEY 或 {k}），而工作区 {p} 已有用指纹 {f} "
                    "的密钥导入的数据：请设置原来的密钥；确需新建密钥时加 --new-key"
                    "（已导入的人员会得到不同的假名）",
                    "no pseudonymisation key (GRAPHSCAN_KEY or {k}), and workspace {p} "
                    "already holds data pseudonymised with the key of fingerprint {f}: set "
                    "that key, or pass --new-key to start a new one (people already loaded "
                    "will get other pseudonyms)",
                    k=missing,
                    p=workspace.root,
                    f=recorded or "?",
                )
            ) from None
        keys = Pseudonymiser.from_environment(create=True, outside=workspace.root)
    if not (loading and new_key):
        require_same_key(keys, workspace, store)
    if loading:
        workspace.record_key(keys.fingerprint())
    return keys
