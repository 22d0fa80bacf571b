from django.urls import include, path

from progression.views import links, provider, questionnaires, rounds

app_name = "progression"

# Below progression/rounds/<uuid:round_uuid>/: one round, its dialogue topics
# and the citizen's self-assessment link.
round_urls = [
    path("", rounds.round_grid, name="round_edit"),
    path("topics/<int:item_number>/", rounds.topic_agree, name="topic_agree"),
    path("link/", links.link_create, name="link_create"),
]

# Below progression/questionnaires/: the questionnaire versions (administrators).
questionnaire_urls = [
    path("", questionnaires.questionnaire_list, name="questionnaire_list"),
    path("new-draft/", questionnaires.questionnaire_new_draft, name="questionnaire_new_draft"),
    path("<int:version>/", questionnaires.questionnaire_detail, name="questionnaire_detail"),
    path("<int:version>/items/<int:number>/", questionnaires.item_edit, name="item_edit"),
    path(
        "<int:version>/publish/",
        questionnaires.questionnaire_publish,
        name="questionnaire_publish",
    ),
]

urlpatterns = [
    path("progression/cases/<uuid:case_uuid>/", rounds.case_progression, name="case_progression"),
    path("progression/cases/<uuid:case_uuid>/rounds/new/", rounds.round_grid, name="round_create"),
    path("progression/rounds/<uuid:round_uuid>/", include(round_urls)),
    path(
        "progression/referrals/<uuid:citizen_uuid>/",
        provider.provider_score,
        name="provider_score",
    ),
    path("progression/questionnaires/", include(questionnaire_urls)),
    # The citizen's own form, opened from the one-time link.
    path("m/<str:token>/", links.citizen_form, name="citizen_form"),
]
