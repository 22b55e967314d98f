"""The operators' side: a TUF repository of configuration bundles, one target per group.

Layout of ``REPO_DIR`` (serve ``metadata/`` and ``targets/`` from any static web server; never ``keys/``)::

    keys/<role>.pem                 ed25519 private keys, mode 0600 (move root.pem offline after init)
    metadata/<N>.root.json          every root version (kiosks walk them forward), root.json = the newest
    metadata/<N>.targets.json       consistent snapshots: each version is its own file
    metadata/<N>.snapshot.json
    metadata/timestamp.json         the only unversioned file, written last
    targets/groups/<group>/<sha256>.bundle.tar

Each group has one target path, ``groups/<group>/bundle.tar``, whose custom metadata carries the bundle's own
``version`` and ``note``; publishing replaces it. One key per role, threshold 1.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from kiosk.fleet.bundle import BundleError, check_bundle, manifest_header, unpack

ROLES = ("root", "targets", "snapshot", "timestamp")
DEFAULT_EXPIRY = {
    "root": dt.timedelta(days=365),
    "targets": dt.timedelta(days=180),
    "snapshot": dt.timedelta(days=30),
    "timestamp": dt.timedelta(days=7),
}
GROUP_PREFIX = "groups/"
BUNDLE_NAME = "bundle.tar"

ROOT_KEY_GUIDANCE = """\
The root key signs which keys the kiosks trust. Keep it OFFLINE:
  1. copy {root_key} to two encrypted USB sticks kept in separate safes;
  2. delete it from this machine (shred -u {root_key});
  3. bring it back only for `kiosk fleet rotate-key ... --root-key /media/usb/root.pem`.
Ship {root_json} in the kiosk image as the trusted root (setting fleet.trusted_root).
Serve only {metadata}/ and {targets}/ over HTTP(S); never publish {keys}/.
The timestamp expires after {ts_days} days: run `kiosk fleet refresh {repo}` from cron well before that
(daily is usual), or kiosks stop accepting updates until it is refreshed."""


class FleetRepoError(Exception):
    pass


def group_target(group: str) -> str:
    return f"{GROUP_PREFIX}{group}/{BUNDLE_NAME}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.chmod(tmp, mode)  # the umask must not widen or narrow a key file
    os.replace(tmp, path)


@dataclass(frozen=True)
class GroupInfo:
    group: str
    version: int
    note: str
    published: str
    length: int
    sha256: str


class FleetRepo:
    """A repository on the operator's disk; ``expiry`` overrides the lifetime of each role's metadata."""

    def __init__(
        self, path: Path, expiry: dict[str, dt.timedelta] | None = None, root_key: Path | None = None
    ) -> None:
        self.path = Path(path)
        self.metadata_dir = self.path / "metadata"
        self.targets_dir = self.path / "targets"
        self.keys_dir = self.path / "keys"
        self.root_key = root_key or self.keys_dir / "root.pem"
        self.expiry = {**DEFAULT_EXPIRY, **(expiry or {})}
        self._serializer = JSONSerializer(compact=False)

    # -- keys ---------------------------------------------------------------------------------
    def key_path(self, role: str) -> Path:
        return self.root_key if role == "root" else self.keys_dir / f"{role}.pem"

    def _save_key(self, role: str, signer: CryptoSigner) -> None:
        path = self.key_path(role)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_atomic(path, signer.private_bytes, mode=0o600)

    def signer(self, role: str) -> CryptoSigner:
        """The role's key from disk, refused unless the current root lists it for that role."""
        path = self.key_path(role)
        try:
            private = load_pem_private_key(path.read_bytes(), None)
        except FileNotFoundError:
            hint = " (pass --root-key with the offline copy)" if role == "root" else ""
            raise FleetRepoError(f"no {role} key at {path}{hint}") from None
        except ValueError as error:
            raise FleetRepoError(f"{path}: not a usable private key: {error}") from None
        signer = CryptoSigner(private)
        if signer.public_key.keyid not in self.root().signed.roles[role].keyids:
            raise FleetRepoError(f"{path} is not a {role} key of this repository's current root")
        return signer

    # -- reading metadata -------------------------------------------------------------------------
    def _read(self, name: str) -> Metadata[Any]:
        path = self.metadata_dir / name
        try:
            return Metadata.from_file(str(path))
        except FileNotFoundError:
            raise FleetRepoError(f"{path}: missing; is {self.path} a fleet repository (kiosk fleet init)?") from None

    def root(self) -> Metadata[Root]:
        versions = sorted(int(p.name.split(".")[0]) for p in self.metadata_dir.glob("*.root.json"))
        if not versions:
            raise FleetRepoError(f"{self.metadata_dir}: no root metadata; run `kiosk fleet init {self.path}`")
        return self._read(f"{versions[-1]}.root.json")

    def timestamp(self) -> Metadata[Timestamp]:
        return self._read("timestamp.json")

    def snapshot(self) -> Metadata[Snapshot]:
        return self._read(f"{self.timestamp().signed.snapshot_meta.version}.snapshot.json")

    def targets(self) -> Metadata[Targets]:
        return self._read(f"{self.snapshot().signed.meta['targets.json'].version}.targets.json")

    # -- writing metadata -------------------------------------------------------------------------
    def _sign_and_write(self, md: Metadata[Any], role: str, bump: bool = True) -> None:
        if bump:
            md.signed.version += 1
        md.signed.expires = _now() + self.expiry[role]
        md.sign(self.signer(role))
        data = md.to_bytes(self._serializer)
        if role == "timestamp":
            _write_atomic(self.metadata_dir / "timestamp.json", data)
        else:
            _write_atomic(self.metadata_dir / f"{md.signed.version}.{role}.json", data)

    def _commit(self, targets: Metadata[Targets] | None = None, snapshot: Metadata[Snapshot] | None = None) -> None:
        """Write targets (if changed), then a new snapshot, then a new timestamp: kiosks only ever see whole states."""
        snapshot = snapshot or self.snapshot()
        if targets is not None:
            self._sign_and_write(targets, "targets")
            snapshot.signed.meta["targets.json"] = MetaFile(version=targets.signed.version)
        self._sign_and_write(snapshot, "snapshot")
        timestamp = self.timestamp()
        timestamp.signed.snapshot_meta = MetaFile(version=snapshot.signed.version)
        self._sign_and_write(timestamp, "timestamp")

    def _write_root(self, root: Metadata[Root]) -> None:
        data = root.to_bytes(self._serializer)
        _write_atomic(self.metadata_dir / f"{root.signed.version}.root.json", data)
        _write_atomic(self.metadata_dir / "root.json", data)

    # -- operator commands ------------------------------------------------------------------------
    @classmethod
    def init(cls, path: Path, **kwargs: Any) -> FleetRepo:
        """New keys for every role, root v1 and empty targets, snapshot and timestamp v1."""
        repo = cls(path, **kwargs)
        if repo.metadata_dir.exists() or repo.keys_dir.exists():
            raise FleetRepoError(f"{path} already holds a repository")
        signers = {role: CryptoSigner.generate_ed25519() for role in ROLES}
        for role, signer in signers.items():
            repo._save_key(role, signer)
        root = Root(expires=_now() + repo.expiry["root"], consistent_snapshot=True)
        for role, signer in signers.items():
            root.add_key(signer.public_key, role)
        root_md = Metadata(root)
        root_md.sign(signers["root"])
        repo._write_root(root_md)
        for role, signed in (("targets", Targets()), ("snapshot", Snapshot()), ("timestamp", Timestamp())):
            repo._sign_and_write(Metadata(signed), role, bump=False)
        repo.targets_dir.mkdir(parents=True, exist_ok=True)
        return repo

    def guidance(self) -> str:
        return ROOT_KEY_GUIDANCE.format(
            root_key=self.root_key,
            root_json=self.metadata_dir / "root.json",
            metadata=self.metadata_dir,
            targets=self.targets_dir,
            keys=self.keys_dir,
            repo=self.path,
            ts_days=self.expiry["timestamp"].days,
        )

    def publish(self, group: str, bundle_path: Path, check: bool = True) -> GroupInfo:
        """Make ``bundle_path`` what ``group`` gets. ``check=False`` skips the local schema check, for an
        operator host running a different release than the kiosks (they check again before applying)."""
        from kiosk.config.schema import FleetSection

        FleetSection(group=group)  # the same rule as a kiosk's group setting
        staging = self.path / f".check-{os.getpid()}"
        try:
            if check:
                bundle = unpack(bundle_path, staging)
                problems = check_bundle(bundle)
                version, note = bundle.version, bundle.note
            else:
                version, note = manifest_header(bundle_path)
                problems = []
        except BundleError as error:
            raise FleetRepoError(f"{bundle_path}: " + "; ".join(error.messages)) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if problems:
            raise FleetRepoError(f"{bundle_path} would be refused by the kiosks:\n  " + "\n  ".join(problems))
        current = {g.group: g for g in self.groups()}.get(group)
        if current is not None and version <= current.version:
            raise FleetRepoError(
                f"{group} already has version {current.version}; a new bundle needs a higher version "
                f"(to go back, publish the old content with a new version number)"
            )
        path = group_target(group)
        target = TargetFile.from_file(path, str(bundle_path), ["sha256"])
        target.unrecognized_fields["custom"] = {
            "version": version,
            "note": note,
            "published": _now().isoformat(),
        }
        stored = self.targets_dir / GROUP_PREFIX / group / f"{target.hashes['sha256']}.{BUNDLE_NAME}"
        stored.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundle_path, stored)
        targets = self.targets()
        targets.signed.targets[path] = target
        self._commit(targets)
        return self._info(group, target)

    def refresh(self) -> None:
        """Re-sign snapshot and timestamp with fresh expiry dates (from cron, before the timestamp expires)."""
        self._commit()

    def rotate_key(self, role: str) -> CryptoSigner:
        """Replace ``role``'s key: a new root version signed by the old root key (and the new one when rotating
        root), then the role's metadata re-signed so kiosks can follow at once."""
        if role not in ROLES:
            raise FleetRepoError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        root = self.root()
        old_root_signer = self.signer("root")
        new = CryptoSigner.generate_ed25519()
        for keyid in list(root.signed.roles[role].keyids):
            root.signed.revoke_key(keyid, role)
        root.signed.add_key(new.public_key, role)
        root.signed.version += 1
        root.signed.expires = _now() + self.expiry["root"]
        root.sign(old_root_signer)  # kiosks trust the new root because the old key vouches for it
        if role == "root":
            root.sign(new, append=True)  # ... and the new root must satisfy its own threshold
        # The new key reaches the disk before the root that names it, so a crash never leaves a root whose key is lost.
        pending = self.key_path(role).with_suffix(".pem.new")
        _write_atomic(pending, new.private_bytes, mode=0o600)
        self._write_root(root)
        os.replace(pending, self.key_path(role))
        if role == "targets":
            self._commit(self.targets())
        elif role in ("snapshot", "timestamp"):
            self._commit()
        return new

    # -- reporting --------------------------------------------------------------------------------
    def _info(self, group: str, target: TargetFile) -> GroupInfo:
        custom = target.custom or {}
        return GroupInfo(
            group,
            int(custom.get("version", 0)),
            str(custom.get("note", "")),
            str(custom.get("published", "")),
            target.length,
            target.hashes.get("sha256", ""),
        )

    def groups(self) -> list[GroupInfo]:
        infos = []
        for path, target in sorted(self.targets().signed.targets.items()):
            if path.startswith(GROUP_PREFIX) and path.endswith("/" + BUNDLE_NAME):
                infos.append(self._info(path[len(GROUP_PREFIX) : -len(BUNDLE_NAME) - 1], target))
        return infos

    def roles(self) -> list[tuple[str, int, dt.datetime, list[str]]]:
        """(role, version, expires, key ids) of each top-level role."""
        root = self.root()
        mds: dict[str, Metadata[Any]] = {
            "root": root,
            "targets": self.targets(),
            "snapshot": self.snapshot(),
            "timestamp": self.timestamp(),
        }
        return [
            (role, md.signed.version, md.signed.expires, list(root.signed.roles[role].keyids))
            for role, md in mds.items()
        ]

    def show(self, now: dt.datetime | None = None) -> str:
        moment = now or _now()
        lines = ["role       version  expires                    key"]
        for role, version, expires, keyids in self.roles():
            left = expires - moment
            warn = "  expires soon" if left < dt.timedelta(days=3) else ""
            warn = "  EXPIRED" if left.total_seconds() <= 0 else warn
            keys = ",".join(k[:12] for k in keyids)
            lines.append(f"{role:<10} {version:>7}  {expires.isoformat():<25}  {keys}{warn}")
        groups = self.groups()
        lines.append("")
        if not groups:
            lines.append("no group has a bundle yet (kiosk fleet publish REPO --group NAME BUNDLE)")
        for info in groups:
            lines.append(
                f"group {info.group}: bundle version {info.version}, {info.length} bytes, sha256 {info.sha256[:16]}…, "
                f"published {info.published}"
            )
            lines.append(f"    note: {info.note}")
        return "\n".join(lines)
