"""Applications end to end, without the UI (docs/applications.md): identity check, 一证通办, materials
(files, commitments, deferrals, 代办), items and 一件事 bundles, 社区通办 routing, submission through the
outbox, receipts, progress lookup and 好差评."""

from kiosk.applications.application import AgentRefused, Application, NotReady, Readiness
from kiosk.applications.materials import MaterialRefused, MaterialSlot, MaterialStatus
from kiosk.applications.progress import LEVELS, STATUS_LABELS, EvaluationRefused, Lookup
from kiosk.applications.progress_qr import ProgressKey, ProgressQrError, format_progress_qr, parse_progress_qr
from kiosk.applications.receipt import PrintOutcome, build_receipt, print_receipt, receipt_png
from kiosk.applications.routing import ResidentPlace, Route, RouteKind, Router
from kiosk.applications.session import ApplicationOffice, ResidentSession, SessionError
from kiosk.applications.submission import MaterialLine, Submission
from kiosk.applications.verification import REASONS, VerificationOutcome

__all__ = [
    "LEVELS", "REASONS", "STATUS_LABELS", "AgentRefused", "Application", "ApplicationOffice", "EvaluationRefused",
    "Lookup",
    "MaterialLine", "MaterialRefused", "MaterialSlot", "MaterialStatus", "NotReady", "PrintOutcome", "ProgressKey",
    "ProgressQrError", "Readiness", "ResidentPlace", "ResidentSession", "Route", "RouteKind", "Router",
    "SessionError",
    "Submission", "VerificationOutcome", "build_receipt", "format_progress_qr", "parse_progress_qr",
    "print_receipt", "receipt_png",
]  # fmt: skip
