"""The writes of recovery, by concept (this module gathers their names for older callers):

- :mod:`preau.recovery.requests`: forgotten identifier or password, the request and its task;
- :mod:`preau.recovery.resets`: reset links and SMS codes, the new password, the proof by
  identifier and birth date;
- :mod:`preau.recovery.helpdesk`: help requests and the school's actions (a password change
  demanded, throttles lifted, a new code answering a help request).

The account's moves (deactivation, reactivation) are the directory's
(:mod:`preau.directory.transitions`); a new activation code handed over by the school is
provisioning's (:mod:`preau.provisioning.reissue`); proving a mobile number is the first
connection's, beside the e-mail proof (:mod:`preau.activation.mobile_proof`).
"""

from __future__ import annotations

from preau.directory.transitions import (
    account_can_reactivate,
    account_deactivate,
    account_reactivate,
)
from preau.provisioning.reissue import Delivery, Reissue
from preau.recovery.helpdesk import (
    ACCOUNT_THROTTLES,
    account_code_reissue,
    account_password_change_demand,
    account_throttles_active,
    account_throttles_lift,
    establishments_of,
    help_request_birth_date_refused,
    help_request_status_set,
    help_request_submit,
)
from preau.recovery.requests import (
    Query,
    QueryKind,
    SubmitOutcome,
    SubmitResult,
    query_parse,
    recovery_request_process,
    recovery_request_submit,
    recovery_requests_sweep,
)
from preau.recovery.resets import (
    CodeOutcome,
    CodeResult,
    ProofOutcome,
    ProofResult,
    ResetCheck,
    ResetStatus,
    password_reset_check,
    password_reset_code_verify,
    password_reset_complete,
    recovery_proof_check,
)

__all__ = [
    "ACCOUNT_THROTTLES",
    "CodeOutcome",
    "CodeResult",
    "Delivery",
    "ProofOutcome",
    "ProofResult",
    "Query",
    "QueryKind",
    "Reissue",
    "ResetCheck",
    "ResetStatus",
    "SubmitOutcome",
    "SubmitResult",
    "account_can_reactivate",
    "account_code_reissue",
    "account_deactivate",
    "account_password_change_demand",
    "account_reactivate",
    "account_throttles_active",
    "account_throttles_lift",
    "establishments_of",
    "help_request_birth_date_refused",
    "help_request_status_set",
    "help_request_submit",
    "password_reset_check",
    "password_reset_code_verify",
    "password_reset_complete",
    "query_parse",
    "recovery_proof_check",
    "recovery_request_process",
    "recovery_request_submit",
    "recovery_requests_sweep",
]
