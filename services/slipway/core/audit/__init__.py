"""The shared, tamper-evident audit log every service writes to.

Domain code calls :func:`record` inside its unit of work; the event is appended to the hash chain
when that transaction commits, so the change and its audit event commit together or not at all.
"""

from slipway.core.audit.chain import AuditEntry, Outcome
from slipway.core.audit.log import record

__all__ = ["AuditEntry", "Outcome", "record"]
