"""The error codes of CAS Protocol 3.0 (§2.5.3 for validation, §2.7.3 for /proxy)."""

from __future__ import annotations

import enum


class Code(enum.StrEnum):
    INVALID_REQUEST = "INVALID_REQUEST"
    INVALID_TICKET_SPEC = "INVALID_TICKET_SPEC"
    UNAUTHORIZED_SERVICE_PROXY = "UNAUTHORIZED_SERVICE_PROXY"
    INVALID_PROXY_CALLBACK = "INVALID_PROXY_CALLBACK"
    INVALID_TICKET = "INVALID_TICKET"
    INVALID_SERVICE = "INVALID_SERVICE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    # /proxy only.
    UNAUTHORIZED_SERVICE = "UNAUTHORIZED_SERVICE"


class CasError(Exception):
    """A protocol failure: its code and the description sent to the service (English, as the
    services' logs expect; nobody reads it in a browser)."""

    def __init__(self, code: Code, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
