"""Every write of the progression app.

Callers use ``from progression import services`` and ``services.round_save(...)``;
the functions live in one module per subject.
"""

# The services refuse a stale version with integration's error.
from integration.services import ConcurrentEditError
from progression.services.links import (
    LinkNotUsable,
    citizen_link_answer,
    citizen_link_create,
    citizen_link_get,
)
from progression.services.measurement_import import (
    PlannedMeasurement,
    measurements_import_write,
)
from progression.services.questionnaires import (
    item_languages_missing,
    item_texts_update,
    questionnaire_new_draft,
    questionnaire_publish,
    texts_fingerprint,
)
from progression.services.rounds import (
    Scores,
    provider_scores_save,
    round_save,
    topic_agree,
    topics_refresh,
    topics_refresh_bulk,
)

__all__ = [
    "ConcurrentEditError",
    "LinkNotUsable",
    "PlannedMeasurement",
    "Scores",
    "citizen_link_answer",
    "citizen_link_create",
    "citizen_link_get",
    "item_languages_missing",
    "item_texts_update",
    "measurements_import_write",
    "provider_scores_save",
    "questionnaire_new_draft",
    "questionnaire_publish",
    "round_save",
    "texts_fingerprint",
    "topic_agree",
    "topics_refresh",
    "topics_refresh_bulk",
]
