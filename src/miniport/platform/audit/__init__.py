"""The tamper-evident audit log: every governance decision, chained by SHA-256."""

from miniport.platform.audit.chain import (
    GENESIS,
    Problem,
    VerifyResult,
    acting_as,
    append,
    compute_hash,
    verify,
)
from miniport.platform.audit.changes import fingerprint, fingerprint_of_digest, record_change
from miniport.platform.audit.models import AuditCheckpoint, AuditEntry
from miniport.platform.audit.query import AuditFilter, search, to_csv, to_json

__all__ = [
    "GENESIS",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditFilter",
    "Problem",
    "VerifyResult",
    "acting_as",
    "append",
    "compute_hash",
    "fingerprint",
    "fingerprint_of_digest",
    "record_change",
    "search",
    "to_csv",
    "to_json",
    "verify",
]
