"""Every write that matters in the integration app.

Views, imports and commands call these functions; nothing else writes cases,
citizens or their facts. Each runs in a transaction, validates with
``full_clean`` and writes the access log. Callers use
``from integration import services`` and ``services.case_create(...)``; the
functions live in one module per subject.
"""

from integration.services.access_log import (
    SYSTEM_USERNAME,
    access_log_request,
    access_log_search,
    access_log_write,
    log_change,
)
from integration.services.bulk_writes import (
    cases_create_bulk,
    citizens_update_bulk,
    facts_create_bulk,
    facts_update_bulk,
)
from integration.services.cases import (
    CITIZEN_EDITABLE,
    case_assign,
    case_create,
    case_refresh_deadlines,
    case_set_open_topics,
    case_transition,
    cases_set_open_topics,
    citizen_update,
    households_get_or_create,
)
from integration.services.digest import deadline_digest_send
from integration.services.facts import fact_save, provider_organisation_save
from integration.services.notes import (
    NoteLockedError,
    journal_note_create,
    journal_note_update,
)
from integration.services.pending_uploads import (
    ERRORS_PURPOSE,
    UploadWaiting,
    import_errors_url,
    pending_upload_drop,
    pending_upload_peek,
    pending_upload_put,
    pending_upload_take,
    pending_uploads_expire,
)
from integration.services.user_settings import user_settings_update
from integration.services.versions import ConcurrentEditError

__all__ = [
    "ERRORS_PURPOSE",
    "UploadWaiting",
    "import_errors_url",
    "pending_upload_drop",
    "pending_upload_peek",
    "pending_upload_put",
    "pending_upload_take",
    "pending_uploads_expire",
    "CITIZEN_EDITABLE",
    "SYSTEM_USERNAME",
    "ConcurrentEditError",
    "NoteLockedError",
    "journal_note_create",
    "journal_note_update",
    "access_log_request",
    "access_log_search",
    "access_log_write",
    "log_change",
    "case_assign",
    "case_create",
    "case_refresh_deadlines",
    "case_set_open_topics",
    "case_transition",
    "cases_create_bulk",
    "cases_set_open_topics",
    "citizen_update",
    "citizens_update_bulk",
    "fact_save",
    "facts_create_bulk",
    "facts_update_bulk",
    "households_get_or_create",
    "provider_organisation_save",
    "deadline_digest_send",
    "user_settings_update",
]
