"""Talking to the government service platform: the client, its error classes and the durable outbox."""

from kiosk.platform.client import PlatformClient
from kiosk.platform.errors import CredentialError, MalformedAnswer, PermanentError, PlatformError, RetryableError

__all__ = ["CredentialError", "MalformedAnswer", "PermanentError", "PlatformClient", "PlatformError", "RetryableError"]
