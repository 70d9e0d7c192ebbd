"""The catalogue of ``google.rpc.ErrorInfo`` reasons: every reason a Slipway service sends.

A reason is the stable, machine-readable half of an error (AIP-193): clients branch on it, so its
wire string never changes once released. Each member's value is that wire string (equal to the
member's name), and carries two attributes for readers and for ``docs/errors.md``:

- ``code``: the canonical gRPC status code sent with it, or ``VARIOUS`` when call sites differ;
- ``meaning``: one line saying what happened and, where it helps, what to do.

A new error is a class of ``slipway.core.errors`` and a member here, never a string written at
the call site; ``tests/core/test_reasons.py`` fails on a reason literal missing from this list,
and ``python -m slipway.core.reasons_doc`` writes the table in ``docs/errors.md``.

The members are grouped by where they arise; the generated table is alphabetical.
"""

from __future__ import annotations

from enum import StrEnum

VARIOUS = "various"  # ``code`` of a reason that call sites send with different status codes


class Reason(StrEnum):
    """One ErrorInfo reason; ``str(reason)`` and ``reason.value`` are its wire string."""

    code: str
    meaning: str

    # A member is (wire string, code, meaning). Only the wire string is the value, so lookups,
    # comparisons with plain strings and ``str()`` behave as for any ``StrEnum``.
    def __new__(cls, value: str, code: str, meaning: str) -> Reason:
        member = str.__new__(cls, value)
        member._value_ = value
        member.code = code
        member.meaning = meaning
        return member

    # The default reason of each error class of slipway.core.errors (raised without a reason).
    INVALID_ARGUMENT = "INVALID_ARGUMENT", "INVALID_ARGUMENT", "The request is invalid."
    NOT_FOUND = "NOT_FOUND", "NOT_FOUND", "The resource named in the request does not exist."
    ALREADY_EXISTS = "ALREADY_EXISTS", "ALREADY_EXISTS", "The resource to create already exists."
    FAILED_PRECONDITION = (
        "FAILED_PRECONDITION",
        "FAILED_PRECONDITION",
        "The resource is not in a state that allows the call.",
    )
    ABORTED = "ABORTED", "ABORTED", "The call lost a race with another change; retry it."
    PERMISSION_DENIED = (
        "PERMISSION_DENIED",
        "PERMISSION_DENIED",
        "The caller may not do this.",
    )
    UNAUTHENTICATED = "UNAUTHENTICATED", "UNAUTHENTICATED", "The caller is not authenticated."
    RESOURCE_EXHAUSTED = (
        "RESOURCE_EXHAUSTED",
        "RESOURCE_EXHAUSTED",
        "A limit of the service was reached.",
    )
    UNAVAILABLE = "UNAVAILABLE", "UNAVAILABLE", "A dependency is unreachable; retry later."
    DEADLINE_EXCEEDED = (
        "DEADLINE_EXCEEDED",
        "DEADLINE_EXCEEDED",
        "The operation did not finish in time.",
    )
    UNIMPLEMENTED = "UNIMPLEMENTED", "UNIMPLEMENTED", "The operation is not supported."

    # The edge: authentication, authorization, decoding and unexpected failures.
    TOKEN_MISSING = (
        "TOKEN_MISSING",
        "UNAUTHENTICATED",
        "The call carried no 'authorization: Bearer <token>' metadata.",
    )
    TOKEN_MALFORMED = (
        "TOKEN_MALFORMED",
        "UNAUTHENTICATED",
        "The authorization metadata is not of the form 'Bearer <token>'.",
    )
    TOKEN_INVALID = (
        "TOKEN_INVALID",
        "UNAUTHENTICATED",
        "The bearer token is not one this service knows.",
    )
    ROLE_NOT_ALLOWED = (
        "ROLE_NOT_ALLOWED",
        "PERMISSION_DENIED",
        "None of the caller's roles may call this method (metadata: method, principal).",
    )
    INVALID_REQUEST_ENCODING = (
        "INVALID_REQUEST_ENCODING",
        "INVALID_ARGUMENT",
        "The request bytes do not decode as the method's request message.",
    )
    NOT_IMPLEMENTED_YET = (
        "NOT_IMPLEMENTED_YET",
        "UNIMPLEMENTED",
        "The method is part of the contract but not implemented in this release.",
    )
    CONCURRENT_CHANGE = (
        "CONCURRENT_CHANGE",
        "ABORTED",
        "A concurrent transaction conflicted with this call and it was rolled back; retry.",
    )
    INTERNAL = (
        "INTERNAL",
        "INTERNAL",
        "An unexpected server error; quote the request id from the metadata when reporting it.",
    )

    # Watch streams: the caps on open streams and the shared event feed (slipway.core.fanout).
    TOO_MANY_WATCH_STREAMS = (
        "TOO_MANY_WATCH_STREAMS",
        "RESOURCE_EXHAUSTED",
        "The caller already has its maximum of open Watch (or ModelStreamInfer) streams on this "
        "process; close one.",
    )
    WATCH_STREAMS_FULL = (
        "WATCH_STREAMS_FULL",
        "RESOURCE_EXHAUSTED",
        "This process serves its maximum of open Watch (or ModelStreamInfer) streams (for callers "
        "without a peer role: three quarters of it, the rest is kept for peers); retry later or "
        "elsewhere.",
    )
    WATCHER_BEHIND = (
        "WATCHER_BEHIND",
        "UNAVAILABLE",
        "The stream fell too far behind the events; resume after the sequence in resume_after.",
    )
    WATCH_FEED_FAILED = (
        "WATCH_FEED_FAILED",
        "UNAVAILABLE",
        "Reading the stored events failed; resume after the sequence in resume_after.",
    )

    # Requests: idempotency keys, paging, filters, ordering, update masks.
    INVALID_REQUEST_ID = (
        "INVALID_REQUEST_ID",
        "INVALID_ARGUMENT",
        "request_id (or an inference request's id, or a prediction record's or label's) is "
        "longer than 128 characters or contains a non-printable character (NUL, controls).",
    )
    DUPLICATE_REQUEST = (
        "DUPLICATE_REQUEST",
        "ABORTED",
        "A concurrent call with the same request_id was answered first; retry to get its answer.",
    )
    REQUEST_ID_REUSED = (
        "REQUEST_ID_REUSED",
        "INVALID_ARGUMENT",
        "request_id was sent before with a different request by the same caller to the same "
        "method; a new request needs a new request_id.",
    )
    INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE", "INVALID_ARGUMENT", "page_size is negative."
    INVALID_PAGE_TOKEN = (
        "INVALID_PAGE_TOKEN",
        "INVALID_ARGUMENT",
        "page_token was not returned by this method for this request.",
    )
    PAGE_TOKEN_MISMATCH = (
        "PAGE_TOKEN_MISMATCH",
        "INVALID_ARGUMENT",
        "page_token was issued for a request with other parameters (filter, order).",
    )
    INVALID_FILTER = (
        "INVALID_FILTER",
        "INVALID_ARGUMENT",
        "A list filter (expression, state, kind, model or principal) is not understood.",
    )
    INVALID_ORDER_BY = (
        "INVALID_ORDER_BY",
        "INVALID_ARGUMENT",
        "order_by names a field the list cannot be ordered by.",
    )
    INVALID_RANGE = (
        "INVALID_RANGE",
        "INVALID_ARGUMENT",
        "An audit sequence range is negative or reversed (end before start).",
    )
    INVALID_UPDATE_MASK = (
        "INVALID_UPDATE_MASK",
        "INVALID_ARGUMENT",
        "update_mask is empty or names fields that cannot be changed.",
    )
    INVALID_SEQUENCE = (
        "INVALID_SEQUENCE",
        "INVALID_ARGUMENT",
        "after_sequence is negative, or WatchAlerts got it together with include_firing.",
    )

    # Names, ids, labels and free text shared by the services (slipway.core.names).
    INVALID_NAME = (
        "INVALID_NAME",
        "INVALID_ARGUMENT",
        "A resource name does not have the form the method expects (or is missing).",
    )
    MODEL_ID_REQUIRED = "MODEL_ID_REQUIRED", "INVALID_ARGUMENT", "The model id is empty."
    INVALID_MODEL_ID = (
        "INVALID_MODEL_ID",
        "INVALID_ARGUMENT",
        "The model id is not 1-128 letters, digits, '.', '_' or '-' (no '..').",
    )
    ALIAS_REQUIRED = "ALIAS_REQUIRED", "INVALID_ARGUMENT", "The alias is empty."
    INVALID_ALIAS = (
        "INVALID_ALIAS",
        "INVALID_ARGUMENT",
        "The alias is not 1-63 lowercase letters, digits, '_' or '-' starting with a letter.",
    )
    INVALID_VERSION_NUMBER = (
        "INVALID_VERSION_NUMBER",
        "INVALID_ARGUMENT",
        "A version number is not a positive integer.",
    )
    TOO_MANY_LABELS = (
        "TOO_MANY_LABELS",
        "INVALID_ARGUMENT",
        "More labels (or ground-truth entries) than one call may carry.",
    )
    INVALID_LABEL = (
        "INVALID_LABEL",
        "INVALID_ARGUMENT",
        "A label key is malformed or a label value is too long.",
    )
    LABEL_UNKNOWN_CLASS = (
        "LABEL_UNKNOWN_CLASS",
        "INVALID_ARGUMENT",
        "A ground-truth label is not one of the classes of the version its prediction came from.",
    )
    LABEL_NOT_NUMERIC = (
        "LABEL_NOT_NUMERIC",
        "INVALID_ARGUMENT",
        "A ground-truth label is text, but the version predicts a numeric (regression) target.",
    )
    LABEL_NOT_FINITE = (
        "LABEL_NOT_FINITE",
        "INVALID_ARGUMENT",
        "A ground-truth label of a regression version is infinite or NaN.",
    )
    METRIC_UNDEFINED = (
        "METRIC_UNDEFINED",
        VARIOUS,
        "A performance metric cannot be computed on the window's labels (reported, not raised).",
    )
    TEXT_TOO_LONG = (
        "TEXT_TOO_LONG",
        "INVALID_ARGUMENT",
        "A free-text field is longer than 16384 characters.",
    )
    INVALID_CHARACTER = (
        "INVALID_CHARACTER",
        "INVALID_ARGUMENT",
        "A text field contains a NUL character.",
    )
    INVALID_TIME = (
        "INVALID_TIME",
        "INVALID_ARGUMENT",
        "A timestamp lies outside the years 1 to 9999.",
    )
    REASON_REQUIRED = (
        "REASON_REQUIRED",
        "INVALID_ARGUMENT",
        "The change needs a reason (a protected alias, or a job created by someone else).",
    )

    # Registry: models, versions and aliases.
    MODEL_NOT_FOUND = (
        "MODEL_NOT_FOUND",
        "NOT_FOUND",
        "The model does not exist (serving: it is not served by this server).",
    )
    MODEL_EXISTS = "MODEL_EXISTS", "ALREADY_EXISTS", "A model with this id already exists."
    MODEL_HAS_VERSIONS = (
        "MODEL_HAS_VERSIONS",
        "FAILED_PRECONDITION",
        "The model still has versions; archive them all and delete with force (admin only).",
    )
    VERSIONS_NOT_ARCHIVED = (
        "VERSIONS_NOT_ARCHIVED",
        "FAILED_PRECONDITION",
        "A forced model delete found versions that are neither archived nor failed.",
    )
    FORCE_DELETE_NEEDS_ADMIN = (
        "FORCE_DELETE_NEEDS_ADMIN",
        "PERMISSION_DENIED",
        "Only an admin may force-delete a model with versions.",
    )
    VERSION_NOT_FOUND = (
        "VERSION_NOT_FOUND",
        "NOT_FOUND",
        "The model version does not exist (serving: it is not loaded here).",
    )
    INVALID_MODEL_VERSION = (
        "INVALID_MODEL_VERSION",
        "INVALID_ARGUMENT",
        "The new version's metadata is invalid; the field violations say where.",
    )
    VERSION_PENDING = (
        "VERSION_PENDING",
        "FAILED_PRECONDITION",
        "The version is still uploading.",
    )
    VERSION_NOT_READY = (
        "VERSION_NOT_READY",
        "FAILED_PRECONDITION",
        "The version is not in a state that allows this (artifacts, or the alias's rule).",
    )
    VERSION_HAS_ALIASES = (
        "VERSION_HAS_ALIASES",
        "FAILED_PRECONDITION",
        "The version holds aliases; move or delete them first.",
    )
    ALIAS_NOT_FOUND = "ALIAS_NOT_FOUND", "NOT_FOUND", "The alias is not set on the model."
    ALIAS_CHANGED = (
        "ALIAS_CHANGED",
        "ABORTED",
        "The alias no longer points where the caller expected; read it again.",
    )
    PROTECTED_ALIAS = (
        "PROTECTED_ALIAS",
        "PERMISSION_DENIED",
        "The alias is protected: only an approver or admin may move it.",
    )
    SERVICE_ALIAS_MOVE = (
        "SERVICE_ALIAS_MOVE",
        "PERMISSION_DENIED",
        "A service role may only point the alias its verified training job asked for at the "
        "version that job registered.",
    )
    ETAG_MISMATCH = (
        "ETAG_MISMATCH",
        "ABORTED",
        "The resource changed since it was read (stale etag); read it again and retry.",
    )
    METADATA_FIRST = (
        "METADATA_FIRST",
        "INVALID_ARGUMENT",
        "An upload stream's first message must carry the version's metadata.",
    )
    METADATA_REPEATED = (
        "METADATA_REPEATED",
        "INVALID_ARGUMENT",
        "Only the first message of an upload stream may carry metadata.",
    )
    REQUEST_FAILED = (
        "REQUEST_FAILED",
        "FAILED_PRECONDITION",
        "The upload first made with this request_id failed; upload again with a new request_id.",
    )
    UPLOAD_IN_PROGRESS = (
        "UPLOAD_IN_PROGRESS",
        "ABORTED",
        "The upload first made with this request_id is still running; retry later. Once it "
        "has sent nothing for two heartbeats, a retry with the same request_id takes it over.",
    )

    # Artifacts: uploads, the content-addressed store and model files (slipway.ml).
    INVALID_FORMAT = (
        "INVALID_FORMAT",
        "INVALID_ARGUMENT",
        "The version's artifact format is not a known format.",
    )
    UNKNOWN_ARTIFACT_FORMAT = (
        "UNKNOWN_ARTIFACT_FORMAT",
        "INVALID_ARGUMENT",
        "The model file format is not one the service reads.",
    )
    INVALID_SHA256 = (
        "INVALID_SHA256",
        "INVALID_ARGUMENT",
        "A digest is not 64 lowercase hexadecimal characters.",
    )
    SHA256_MISMATCH = (
        "SHA256_MISMATCH",
        "INVALID_ARGUMENT",
        "The bytes received do not hash to the digest the client declared.",
    )
    ARTIFACT_EMPTY = (
        "ARTIFACT_EMPTY",
        "INVALID_ARGUMENT",
        "The upload sent no model bytes, or not the reference sample it declared.",
    )
    UNDECLARED_ARTIFACT = (
        "UNDECLARED_ARTIFACT",
        "INVALID_ARGUMENT",
        "The upload sent a reference sample whose sha256 the metadata did not declare.",
    )
    ARTIFACT_TOO_LARGE = (
        "ARTIFACT_TOO_LARGE",
        "RESOURCE_EXHAUSTED",
        "The artifact is larger than the store accepts.",
    )
    ARTIFACT_CORRUPT = (
        "ARTIFACT_CORRUPT",
        VARIOUS,
        "Stored (FAILED_PRECONDITION) or downloaded (UNAVAILABLE) bytes do not match their hash.",
    )
    ARTIFACT_MISSING = (
        "ARTIFACT_MISSING",
        "NOT_FOUND",
        "The artifact's digest is not in the store.",
    )
    ARTIFACT_NOT_FOUND = (
        "ARTIFACT_NOT_FOUND",
        "NOT_FOUND",
        "The version has no artifact of the requested kind.",
    )
    UPLOAD_CLOSED = (
        "UPLOAD_CLOSED",
        "FAILED_PRECONDITION",
        "The upload was already committed or aborted.",
    )
    UPLOAD_EXPIRED = (
        "UPLOAD_EXPIRED",
        VARIOUS,
        "The upload came too late: its part file expired (ABORTED) or the version left PENDING "
        "(FAILED_PRECONDITION); upload again.",
    )
    PICKLE_REFUSED = (
        "PICKLE_REFUSED",
        "FAILED_PRECONDITION",
        "Pickle and joblib files can run code when loaded and are not allowed here.",
    )
    UNTRUSTED_TYPES = (
        "UNTRUSTED_TYPES",
        "FAILED_PRECONDITION",
        "The model file names types outside the trusted list.",
    )
    MALFORMED_ARTIFACT = (
        "MALFORMED_ARTIFACT",
        "FAILED_PRECONDITION",
        "The file is not a readable model file, or the model in it is inconsistent.",
    )
    INCOMPATIBLE_FRAMEWORK = (
        "INCOMPATIBLE_FRAMEWORK",
        "FAILED_PRECONDITION",
        "The model was saved with library versions this process cannot load faithfully.",
    )
    ARTIFACT_LIMIT_EXCEEDED = (
        "ARTIFACT_LIMIT_EXCEEDED",
        "INVALID_ARGUMENT",
        "The model file would unpack beyond a limit (total or relative to its size, per member, "
        "member count, schema.json), or a member decompresses beyond its declared size; "
        "metadata 'limit' names it.",
    )
    INSPECTION_LIMIT_EXCEEDED = (
        "INSPECTION_LIMIT_EXCEEDED",
        "INVALID_ARGUMENT",
        "Inspecting the model file took more memory or time than the registry allows it.",
    )
    INSPECTION_BUSY = (
        "INSPECTION_BUSY",
        "UNAVAILABLE",
        "Every model file inspection slot stayed busy for longer than the registry lets an "
        "upload wait (--inspection-wait-seconds); retry the upload later, with backoff.",
    )
    FRAMEWORK_VERSION_MISMATCH = (
        "FRAMEWORK_VERSION_MISMATCH",
        "INVALID_ARGUMENT",
        "The declared scikit-learn version differs from the one the model file records.",
    )

    # Peers: a service calling the registry.
    REGISTRY_UNAVAILABLE = (
        "REGISTRY_UNAVAILABLE",
        "UNAVAILABLE",
        "The registry could not be reached (or a download from it broke off); retry later.",
    )
    REGISTRY_REFUSED = (
        "REGISTRY_REFUSED",
        "FAILED_PRECONDITION",
        "The registry refused a request made on the caller's behalf; the message has its answer.",
    )
    REFERENCE_TOO_LARGE = (
        "REFERENCE_TOO_LARGE",
        "FAILED_PRECONDITION",
        "The version's reference file is over monitoring's --max-reference-* limits (rows, "
        "columns or decoded size, read from its metadata): the version gets no report; "
        "register it with a smaller reference.",
    )
    REFERENCE_UNREADABLE = (
        "REFERENCE_UNREADABLE",
        "FAILED_PRECONDITION",
        "The version's reference file is no reference file monitoring can read; the version "
        "gets no report until it is registered with a valid one.",
    )

    # Training.
    INVALID_TRAINING_JOB = (
        "INVALID_TRAINING_JOB",
        "INVALID_ARGUMENT",
        "The training job (spec, dataset, trigger) is missing or invalid; see the violations.",
    )
    TRAINING_JOB_NOT_FOUND = (
        "TRAINING_JOB_NOT_FOUND",
        "NOT_FOUND",
        "The training job does not exist.",
    )
    JOB_ALREADY_ENDED = (
        "JOB_ALREADY_ENDED",
        "FAILED_PRECONDITION",
        "The job already ended; only queued or running jobs can be cancelled.",
    )
    INVALID_REASON = (
        "INVALID_REASON",
        "INVALID_ARGUMENT",
        "The cancel reason is longer than 16384 characters or contains NUL.",
    )

    # Monitoring (the literals in slipway.services.monitoring, still to be swapped for these).
    POLICY_NOT_FOUND = (
        "POLICY_NOT_FOUND",
        "NOT_FOUND",
        "The monitoring policy does not exist.",
    )
    POLICY_EXISTS = (
        "POLICY_EXISTS",
        "ALREADY_EXISTS",
        "A monitoring policy with this id already exists.",
    )
    INVALID_POLICY = (
        "INVALID_POLICY",
        "INVALID_ARGUMENT",
        "The monitoring policy is missing or invalid; see the violations.",
    )
    POLICY_MODEL_MISMATCH = (
        "POLICY_MODEL_MISMATCH",
        "INVALID_ARGUMENT",
        "The policy named in the request monitors another model.",
    )
    TOO_MANY_PENDING_LABELS = (
        "TOO_MANY_PENDING_LABELS",
        "RESOURCE_EXHAUSTED",
        "Ground truth whose predictions have not arrived would exceed the waiting-label limit "
        "(per call or per model); nothing was stored: retry later or in smaller calls.",
    )
    UNKNOWN_FEATURE = (
        "UNKNOWN_FEATURE",
        "INVALID_ARGUMENT",
        "A policy's per-feature override names no input of the model's newest READY version.",
    )
    INVALID_WINDOW = (
        "INVALID_WINDOW",
        "INVALID_ARGUMENT",
        "The window's end_time is not after its start_time.",
    )
    ALERT_NOT_FOUND = "ALERT_NOT_FOUND", "NOT_FOUND", "The alert does not exist."
    REPORT_NOT_FOUND = "REPORT_NOT_FOUND", "NOT_FOUND", "The report does not exist."

    # Serving (the literals in slipway.services.serving, still to be swapped for these).
    MODEL_NOT_READY = (
        "MODEL_NOT_READY",
        "UNAVAILABLE",
        "The model is served here but not loaded yet (starting, or its load is retried); "
        "retry, the message says why.",
    )
    MODEL_LOAD_FAILED = (
        "MODEL_LOAD_FAILED",
        "NOT_FOUND",
        "The repository API could not load the model; the message says why.",
    )
    MODEL_REFUSED_INPUT = (
        "MODEL_REFUSED_INPUT",
        "INVALID_ARGUMENT",
        "The rows passed the protocol checks but the model refused them.",
    )
    MISSING_INPUT = (
        "MISSING_INPUT",
        "INVALID_ARGUMENT",
        "An inference request lacks input tensors the model takes.",
    )
    UNKNOWN_INPUT = (
        "UNKNOWN_INPUT",
        "INVALID_ARGUMENT",
        "An input tensor names no input of the model.",
    )
    DUPLICATE_INPUT = (
        "DUPLICATE_INPUT",
        "INVALID_ARGUMENT",
        "An input tensor is given twice.",
    )
    UNKNOWN_OUTPUT = (
        "UNKNOWN_OUTPUT",
        "INVALID_ARGUMENT",
        "A requested output names no output of the model.",
    )
    INVALID_DATATYPE = (
        "INVALID_DATATYPE",
        "INVALID_ARGUMENT",
        "A tensor's datatype is unknown or cannot feed the model's inputs.",
    )
    INVALID_SHAPE = (
        "INVALID_SHAPE",
        "INVALID_ARGUMENT",
        "A tensor's shape does not match its contents or the other inputs.",
    )
    INVALID_CONTENTS = (
        "INVALID_CONTENTS",
        "INVALID_ARGUMENT",
        "A tensor's contents are malformed, out of range or in the wrong field.",
    )
    NON_FINITE_INPUT = (
        "NON_FINITE_INPUT",
        "INVALID_ARGUMENT",
        "An input holds infinity, or NaN for a model without an imputer.",
    )
    MISSING_VALUE_REFUSED = (
        "MISSING_VALUE_REFUSED",
        "INVALID_ARGUMENT",
        "An input names an element missing (its `missing_elements` parameter) for a model "
        "that cannot predict without it.",
    )
    TOO_MANY_ROWS = (
        "TOO_MANY_ROWS",
        "INVALID_ARGUMENT",
        "The request has more rows than the server's limit per request.",
    )
    VALUE_TOO_LONG = (
        "VALUE_TOO_LONG",
        "INVALID_ARGUMENT",
        "A BYTES input element is longer than the server's limit (1024 bytes by default).",
    )
    WRONG_FEATURE_COUNT = (
        "WRONG_FEATURE_COUNT",
        "INVALID_ARGUMENT",
        "A matrix input has another number of features per row than the model takes.",
    )
