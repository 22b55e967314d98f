"""The kiosk side: fetch this group's bundle through TUF, apply it between residents, health-check, revert.

State under ``<data_dir>/fleet/``::

    tuf/                  TUF metadata cache (seeded once from the trusted root shipped at install)
    download/             a bundle being downloaded (verified against its signed length and hash)
    bundles/<v>-<hash>/   unpacked bundles: the applied one, the last good one before it, a pending one
    current -> bundles/…  the applied bundle; switched with one atomic rename, so it is the whole bundle or nothing
    pending -> bundles/…  verified and validated, waiting for the resident session to end
    trial.json            written while a new bundle is under health check (a crash there reverts on restart)
    state.json            last result, refused versions, the last refusal and revert (for the heartbeat and
                          `kiosk config pull`)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import shutil
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kiosk.config import Layer, load_settings
from kiosk.config.loader import defaults_layer
from kiosk.fleet.applied import (  # re-exported: the accessors of what is applied
    applied_version,
    current_bundle,
    current_layer,
    fleet_dir,
)
from kiosk.fleet.bundle import Bundle, BundleError, check_bundle, check_catalog, read_bundle, unpack
from kiosk.fleet.repo import group_target

if TYPE_CHECKING:
    from kiosk.audit import AuditTrail
    from kiosk.config import Settings
    from kiosk.fleet.nudge import MqttNudge

log = logging.getLogger(__name__)

Audit = Callable[..., object]  # audit(kind: str, **fields); e.g. functools.partial(trail.record, actor="fleet")
Outcome = Literal["applied", "up_to_date", "deferred", "refused", "reverted", "error", "off"]
KEEP_BUNDLES = 3  # applied, last good, pending


def log_audit(kind: str, **fields: Any) -> None:
    log.info("audit %s %s", kind, json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str))


def trail_audit(trail: Callable[[], AuditTrail | None]) -> Audit:
    """Fleet records into an audit trail (actor ``fleet``), the same from the running kiosk and from
    ``kiosk config pull --once``; ``trail()`` is read at each record (the kiosk's is replaced on restart).
    A record that cannot be written (full disk) is logged instead: it must not stop an update or a revert."""

    def audit(kind: str, **fields: Any) -> None:
        current = trail()
        if current is None:
            log_audit(kind, **fields)
            return
        try:
            current.record(kind, "fleet", **fields)
        except OSError:
            log.exception("fleet audit record %s not written", kind)
            log_audit(kind, **fields)

    return audit


@dataclass(frozen=True)
class PullResult:
    outcome: Outcome
    version: int | None = None  # the applied version after this round
    reason: str = ""
    offered: int | None = None  # the version the repository offered, if known

    def describe(self) -> str:
        if self.outcome == "applied":
            return f"applied configuration version {self.version}"
        if self.outcome == "up_to_date":
            return f"up to date at version {self.version}" + (f" ({self.reason})" if self.reason else "")
        if self.outcome == "deferred":
            return f"version {self.offered} is ready and will be applied when the resident session ends"
        if self.outcome == "off":
            return f"nothing applied: {self.reason}"
        running = "no bundle" if self.version is None else f"version {self.version}"
        return f"nothing applied ({self.outcome}): {self.reason}; still running {running}"


# -- refusal reasons --------------------------------------------------------------------------------


def describe_error(error: BaseException) -> str:
    """A short reason naming the attack or fault TUF caught, for the audit trail and the CLI."""
    import urllib3
    from tuf.api import exceptions as tx

    cause: BaseException | None = error
    while cause is not None:  # urllib3 files a refused connection under timeouts; say what happened
        if isinstance(cause, urllib3.exceptions.NewConnectionError):
            return f"repository unreachable: {cause}"
        cause = getattr(cause, "reason", None) or cause.__cause__
    kinds: list[tuple[type[BaseException], str]] = [
        (tx.ExpiredMetadataError, "expired metadata"),
        (tx.BadVersionNumberError, "rollback refused"),
        (tx.UnsignedMetadataError, "bad signature"),
        (tx.LengthOrHashMismatchError, "bundle does not match its signed hash"),
        (tx.DownloadLengthMismatchError, "larger than declared"),
        (tx.SlowRetrievalError, "download too slow"),
        (tx.DownloadHTTPError, "HTTP error"),
        (tx.DownloadError, "download failed"),
        (tx.RepositoryError, "metadata refused"),
    ]
    for kind, label in kinds:
        if isinstance(error, kind):
            return f"{label}: {error}"
    if isinstance(error, urllib3.exceptions.HTTPError):
        return f"download interrupted: {error}"
    return f"{type(error).__name__}: {error}"


# -- the updater ----------------------------------------------------------------------------------


class FleetUpdater:
    """One kiosk's follower of its group's bundle.

    ``session_active`` says whether a resident is being served (updates wait); ``gate`` is held from that check
    to the end of the activation (the core's: no session starts in between); ``audit(kind, **fields)`` records
    each step; ``platform_check(url)`` must return truthy when the platform at ``url`` answers (called only when a
    bundle changes the endpoint); ``config_check`` and ``catalog_check`` take the applied bundle and raise on
    failure (defaults: the settings load with this kiosk's site file; the catalog validates);
    ``on_applied(bundle)`` makes the running kiosk use a bundle that passed its checks (reload, restart the
    hardware): it is the last health check — if it raises (the hardware does not start with the new settings), the
    bundle is reverted and ``on_reverted()`` makes the kiosk use the last good configuration again.
    """

    def __init__(
        self,
        data_dir: Path,
        repo_url: str,
        group: str,
        trusted_root: Path,
        *,
        site_file: Path | None = None,
        session_active: Callable[[], bool] = lambda: False,
        gate: AbstractContextManager[object] | None = None,
        audit: Audit = log_audit,
        config_check: Callable[[Bundle], object] | None = None,
        catalog_check: Callable[[Bundle], object] | None = None,
        platform_check: Callable[[str], object] | None = None,
        on_applied: Callable[[Bundle], object] | None = None,
        on_reverted: Callable[[], object] | None = None,
        poll_interval_s: float = 900.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
        socket_timeout_s: int = 30,
        round_deadline_s: float = 600.0,
        min_speed_bps: int = 2048,
        min_speed_grace_s: float = 10.0,
        mqtt_broker: str = "",
        mqtt_topic: str = "tongban/fleet/{group}",
    ) -> None:
        self.data_dir = Path(data_dir)
        self.dir = fleet_dir(self.data_dir)
        self.repo_url = repo_url.rstrip("/")
        self.group = group
        self.trusted_root = Path(trusted_root)
        self.site_file = site_file
        self.session_active = session_active
        self.gate: AbstractContextManager[object] = gate if gate is not None else nullcontext()
        self.audit = audit
        self.config_check = config_check or self._config_loads
        self.catalog_check = catalog_check or _catalog_loads
        self.platform_check = platform_check
        self.on_applied = on_applied
        self.on_reverted = on_reverted
        self.poll_interval_s = poll_interval_s
        self.jitter = jitter
        self._rng = rng or random.Random()
        self._socket_timeout_s = socket_timeout_s
        self.round_deadline_s = round_deadline_s
        self.min_speed_bps = min_speed_bps
        self.min_speed_grace_s = min_speed_grace_s
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_result: PullResult | None = None
        self.mqtt_broker = mqtt_broker
        self.mqtt_topic = mqtt_topic
        self._nudge: MqttNudge | None = None
        self._recover_interrupted_trial()

    @classmethod
    def from_settings(cls, settings: Settings, data_dir: Path, **kwargs: Any) -> FleetUpdater:
        """From the ``fleet`` settings section; the trusted root defaults to ``<config dir>/fleet-root.json``."""
        from kiosk.paths import config_dir

        fleet = settings.fleet
        root = Path(fleet.trusted_root) if fleet.trusted_root else config_dir() / "fleet-root.json"
        return cls(
            data_dir, fleet.repo_url, fleet.group, root,
            poll_interval_s=fleet.poll_interval_s, jitter=fleet.jitter,
            round_deadline_s=fleet.round_deadline_s, min_speed_bps=fleet.min_speed_bps,
            mqtt_broker=fleet.mqtt_broker, mqtt_topic=fleet.mqtt_topic, **kwargs,
        )  # fmt: skip

    # -- public ---------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """For the heartbeat (platform contract §7): ``config_version`` and the last round's result."""
        last = self.last_result or self._saved_result()
        return {
            "config_version": applied_version(self.data_dir),
            "config_result": None if last is None else {"outcome": last.outcome, "reason": last.reason},
        }

    def poll_once(self) -> PullResult:
        """One round: refresh metadata, download and validate a newer bundle, apply it or keep it pending."""
        with self._lock:
            result = self._poll()
            self._finish(result)
            return result

    def apply_pending(self) -> PullResult | None:
        """Apply the pending bundle if no session is active now; None when nothing is pending."""
        with self._lock:
            pending = self._pending()
            if pending is None:
                return None
            with self.gate:
                if self.session_active():
                    running = applied_version(self.data_dir)
                    return PullResult("deferred", running, "resident session active", pending.version)
                result = self._apply(pending)
            self._finish(result)
            return result

    def session_ended(self) -> None:
        """Call when a resident session ends: a pending bundle is applied now (by the poll thread if running)."""
        if self._thread is not None and self._thread.is_alive():
            self._wake.set()
        else:
            self.apply_pending()

    def hardware_started(self) -> None:
        """The kiosk's hardware runs on the applied bundle: from now on a hardware start that fails is not the
        bundle's fault (a device gone), and a boot does not revert it. Its own file: no lock (the core calls this
        while it may hold the hardware, which an activation under this updater's lock waits for)."""
        version = applied_version(self.data_dir)
        started = self.dir / "started.json"
        if version is None:
            started.unlink(missing_ok=True)
        elif self._read_json("started.json").get("version") != version:
            self._write_json("started.json", {"version": version})

    def revert_unstarted(self, reason: str) -> bool:
        """The hardware did not start at boot on an applied bundle it never started on (applied by ``kiosk config
        pull --once``, or while the kiosk was stopped): revert it to the configuration before it, refuse it for good,
        audit it and report it in the heartbeat, as a running kiosk does when its activation fails. False when there
        is nothing to revert (no bundle, or one the hardware ran on before)."""
        with self._lock:
            bundle = current_bundle(self.data_dir)
            if bundle is None or self._read_json("started.json").get("version") == bundle.version:
                return False
            saved = self._state().get("previous")
            previous = Path(saved) if isinstance(saved, str) and Path(saved).is_dir() else None
            previous = None if previous is not None and previous.resolve() == bundle.root.resolve() else previous
            self._restore(previous)
            state = self._state()
            state["previous"] = None  # one step back only: the one before it is not known
            self._write_json("state.json", state)
            failure = f"activation: {reason}"
            running = applied_version(self.data_dir)
            self.audit("fleet.health_failed", version=bundle.version, check="activation", reason=reason)
            self.audit("fleet.reverted", version=bundle.version, reason=failure, running=running)
            self._remember_refusal(bundle.version, failure)
            self._finish(PullResult("reverted", running, f"health check failed: {failure}", bundle.version))
            log.error("fleet bundle v%s reverted: the hardware did not start on it", bundle.version)
            return True

    def nudge(self) -> None:
        """Poll at once (an MQTT "new version exists" message): content still comes only through TUF."""
        self.audit("fleet.nudged", group=self.group)
        self._wake.set()

    def next_wait(self) -> float:
        spread = self.poll_interval_s * self.jitter
        return max(1.0, self.poll_interval_s + self._rng.uniform(-spread, spread))

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="fleet-updater", daemon=True)
        self._thread.start()
        if self.mqtt_broker and self.repo_url:
            from kiosk.fleet.nudge import MqttNudge, topic_for

            self._nudge = MqttNudge(self.mqtt_broker, topic_for(self.mqtt_topic, self.group), self.nudge)
            self._nudge.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._nudge is not None:
            self._nudge.stop()
            self._nudge = None
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # -- the loop -------------------------------------------------------------------------------
    def _run(self) -> None:
        wait = self._rng.uniform(0, self.poll_interval_s * self.jitter)  # a fleet that boots together spreads out
        while not self._stop.is_set():
            if self._wake.wait(wait):
                self._wake.clear()
            if self._stop.is_set():
                break
            try:
                result = self.apply_pending() if self._pending_exists_only() else self.poll_once()
            except Exception:  # the loop must outlive any single round
                log.exception("fleet update round failed")
                result = None
            wait = self.next_wait()
            if result is not None and result.outcome == "deferred":
                wait = min(wait, 5.0)  # re-check soon in case no one calls session_ended

    def _pending_exists_only(self) -> bool:
        """After a deferral, the short re-checks only try the pending bundle, not the network."""
        return self._pending() is not None and self.last_result is not None and self.last_result.outcome == "deferred"

    # -- one round --------------------------------------------------------------------------------
    def _poll(self) -> PullResult:
        running = applied_version(self.data_dir)
        if not self.repo_url:
            return PullResult("off", running, "fleet updates are off (fleet.repo_url is empty)")
        self.audit("fleet.check", group=self.group, running=running)
        try:
            updater = self._tuf()
            updater.refresh()
            info = updater.get_targetinfo(group_target(self.group))
        except Exception as error:
            return self._refuse(running, None, "metadata", describe_error(error))
        if info is None:
            return PullResult("up_to_date", running, f"no bundle published for group {self.group!r}")
        custom = info.custom if isinstance(info.custom, dict) else {}
        offered = custom.get("version")
        if not isinstance(offered, int) or isinstance(offered, bool) or offered < 1:
            return self._refuse(running, None, "metadata", "target has no integer bundle version")
        if running is not None and offered == running:
            return PullResult("up_to_date", running, "", offered)
        if running is not None and offered < running:
            reason = f"rollback refused: offered {offered} < applied {running}"
            return self._refuse(running, offered, "metadata", reason)
        refused = self._state().get("refused", {}).get(str(offered))
        if refused:
            return PullResult("refused", running, f"version {offered} was refused before: {refused}", offered)
        pending = self._pending()
        if pending is not None and pending.version == offered:
            bundle = pending
        else:
            bundle_or_result = self._fetch(updater, info, running, offered)
            if isinstance(bundle_or_result, PullResult):
                return bundle_or_result
            bundle = bundle_or_result
        with self.gate:
            if self.session_active():
                self._link("pending", bundle.root)
                self.audit("fleet.deferred", version=offered, reason="resident session active")
                return PullResult("deferred", running, "resident session active", offered)
            return self._apply(bundle)

    def _fetch(self, updater: Any, info: Any, running: int | None, offered: int) -> Bundle | PullResult:
        download = self.dir / "download"
        shutil.rmtree(download, ignore_errors=True)
        download.mkdir(parents=True)
        archive = download / "bundle.tar"
        sha = info.hashes.get("sha256", "x" * 12)[:12]
        dest = self.dir / "bundles" / f"{offered}-{sha}"
        shutil.rmtree(dest, ignore_errors=True)
        try:
            updater.download_target(info, str(archive))
            bundle = unpack(archive, dest)
        except BundleError as error:
            return self._refuse(running, offered, "bundle", "; ".join(error.messages), remember=True)
        except Exception as error:
            return self._refuse(running, offered, "download", describe_error(error))
        finally:
            shutil.rmtree(download, ignore_errors=True)
        if bundle.version != offered:
            shutil.rmtree(dest, ignore_errors=True)
            reason = f"bundle.toml says version {bundle.version} but the signed metadata says {offered}"
            return self._refuse(running, offered, "bundle", reason, remember=True)
        problems = check_bundle(bundle, self._base_layers())
        if problems:
            shutil.rmtree(dest, ignore_errors=True)
            return self._refuse(running, offered, "validation", "; ".join(problems), remember=True)
        self.audit("fleet.verified", version=offered, note=bundle.note)
        return bundle

    def _apply(self, bundle: Bundle) -> PullResult:
        link = self.dir / "current"
        previous = link.resolve() if link.is_dir() else None
        before = current_bundle(self.data_dir)
        previous_version = None if before is None else before.version
        self._write_json("trial.json", {"version": bundle.version, "previous": str(previous) if previous else None})
        self._link("current", bundle.root)
        self._unlink("pending")
        failure = self._health_failure(bundle, {} if before is None else before.settings)
        activated = False
        if failure is None and self.on_applied is not None:
            activated = True
            try:
                self.on_applied(bundle)
            except Exception as error:
                log.exception("the kiosk could not run fleet bundle v%s", bundle.version)
                failure = f"activation: {error}"
                self.audit("fleet.health_failed", version=bundle.version, check="activation", reason=str(error))
        if failure is not None:
            self._restore(previous)
            self._forget_trial()
            self.audit("fleet.reverted", version=bundle.version, reason=failure, running=previous_version)
            self._remember_refusal(bundle.version, failure)
            if activated and self.on_reverted is not None:
                try:
                    self.on_reverted()  # back on the last good configuration (its hardware started before)
                except Exception:
                    log.exception("the last good configuration did not start again either")
            return PullResult("reverted", previous_version, f"health check failed: {failure}", bundle.version)
        self._forget_trial()
        state = self._state()
        state["previous"] = str(previous) if previous is not None else None  # where a boot-time revert goes back to
        self._write_json("state.json", state)
        self.audit("fleet.applied", version=bundle.version, previous=previous_version, note=bundle.note)
        self._prune(keep={bundle.root, previous})
        return PullResult("applied", bundle.version, bundle.note, bundle.version)

    def _health_failure(self, bundle: Bundle, old_settings: dict[str, Any]) -> str | None:
        checks: list[tuple[str, Callable[[], object]]] = [
            ("configuration", lambda: self.config_check(bundle)),
            ("catalog", lambda: self.catalog_check(bundle)),
        ]
        new_url = self._effective(bundle.settings).platform.url
        if new_url != self._effective(old_settings).platform.url:
            checks.append(("platform", lambda: self._platform_answers(new_url)))
        for name, check in checks:
            try:
                check()
            except Exception as error:
                self.audit("fleet.health_failed", version=bundle.version, check=name, reason=str(error))
                return f"{name}: {error}"
            self.audit("fleet.health_ok", version=bundle.version, check=name)
        return None

    def _platform_answers(self, url: str) -> None:
        if self.platform_check is None:
            raise RuntimeError(f"endpoint changed to {url} but no platform check is configured")
        if not self.platform_check(url):
            raise RuntimeError(f"platform at {url} did not answer")

    def _config_loads(self, bundle: Bundle) -> None:
        loaded = load_settings(self.site_file, remote=current_layer(self.data_dir))
        if loaded.errors:
            raise RuntimeError("; ".join(loaded.errors))
        if applied_version(self.data_dir) != bundle.version:
            raise RuntimeError("the applied bundle is not the one under check")

    def _effective(self, settings: dict[str, Any]) -> Settings:
        return load_settings(self.site_file, remote=Layer("remote", "bundle", settings)).settings

    def _base_layers(self) -> list[Layer]:
        layers = [defaults_layer()]
        if self.site_file is not None:
            layers.append(Layer.from_file("site", self.site_file))
        return layers

    # -- bookkeeping --------------------------------------------------------------------------------
    def _refuse(self, running: int | None, offered: int | None, stage: str, reason: str, remember: bool = False):
        self.audit("fleet.refused", stage=stage, version=offered, reason=reason, running=running)
        if remember and offered is not None:
            self._remember_refusal(offered, reason)
        return PullResult("refused", running, reason, offered)

    def _finish(self, result: PullResult) -> None:
        self.last_result = result
        state = self._state()
        state["last_result"] = {**asdict(result), "at": dt.datetime.now(dt.UTC).isoformat()}
        if result.outcome in ("refused", "reverted"):  # kept past later rounds: the heartbeat reports the last of each
            key = "last_refusal" if result.outcome == "refused" else "last_revert"
            state[key] = {"version": result.offered, "reason": result.reason, "at": state["last_result"]["at"]}
        self._write_json("state.json", state)

    def _saved_result(self) -> PullResult | None:
        saved = dict(self._state().get("last_result") or {})
        saved.pop("at", None)
        try:
            return PullResult(**saved) if saved else None
        except TypeError:
            return None

    def _remember_refusal(self, version: int, reason: str) -> None:
        state = self._state()
        state.setdefault("refused", {})[str(version)] = reason[:500]
        self._write_json("state.json", state)

    def _state(self) -> dict[str, Any]:
        return self._read_json("state.json")

    def _read_json(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads((self.dir / name).read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_json(self, name: str, data: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{name}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), "utf-8")
        os.replace(tmp, self.dir / name)

    def _forget_trial(self) -> None:
        (self.dir / "trial.json").unlink(missing_ok=True)

    def _recover_interrupted_trial(self) -> None:
        """A crash during a health check leaves trial.json: go back to what ran before (the bundle is retried)."""
        try:
            trial = json.loads((self.dir / "trial.json").read_text("utf-8"))
        except (OSError, ValueError):
            return
        previous = Path(trial["previous"]) if trial.get("previous") else None
        self._restore(previous)
        self._forget_trial()
        self.audit("fleet.reverted", version=trial.get("version"), reason="interrupted during its health check")

    def _restore(self, previous: Path | None) -> None:
        if previous is not None and previous.is_dir():
            self._link("current", previous)
        else:
            self._unlink("current")

    def _link(self, name: str, target: Path) -> None:
        """Point ``name`` at ``target`` with one rename: readers see the old bundle or the new, never a mix."""
        tmp = self.dir / f".{name}.{os.getpid()}.tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(os.path.relpath(target, self.dir), tmp)
        os.replace(tmp, self.dir / name)

    def _unlink(self, name: str) -> None:
        (self.dir / name).unlink(missing_ok=True)

    def _pending(self) -> Bundle | None:
        link = self.dir / "pending"
        if not link.is_dir():
            return None
        try:
            return read_bundle(link.resolve())
        except BundleError:
            self._unlink("pending")
            return None

    def _prune(self, keep: set[Path | None]) -> None:
        pending = self.dir / "pending"
        kept = {p.resolve() for p in keep if p is not None}
        if pending.is_dir():
            kept.add(pending.resolve())
        for folder in (self.dir / "bundles").iterdir():
            if folder.resolve() not in kept:
                shutil.rmtree(folder, ignore_errors=True)

    def _tuf(self) -> Any:
        from tuf.ngclient import Updater

        from kiosk.fleet.fetcher import DeadlineFetcher

        metadata = self.dir / "tuf"
        if not (metadata / "root.json").exists():
            # First contact: trust only the root shipped with the installation, never one from the network.
            metadata.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.trusted_root, metadata / "root.json")
        return Updater(
            metadata_dir=str(metadata),
            metadata_base_url=f"{self.repo_url}/metadata/",
            target_base_url=f"{self.repo_url}/targets/",
            fetcher=DeadlineFetcher(  # the round's deadline starts now, with the fetcher
                socket_timeout=self._socket_timeout_s,
                round_deadline_s=self.round_deadline_s,
                min_speed_bps=self.min_speed_bps,
                grace_s=self.min_speed_grace_s,
                app_user_agent="tongban-kiosk",
            ),
        )


def _catalog_loads(bundle: Bundle) -> None:
    problems = check_catalog(bundle)
    if problems:
        raise RuntimeError("; ".join(problems))
