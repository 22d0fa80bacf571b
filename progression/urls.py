from django.urls import include, path

from progression.views import links, provider, questionnaires, rounds

app_name = "progression"

# The pages of one round, below its address.
round_patterns = [
    path("", rounds.round_grid, name="round_edit"),
    path("topics/<int:item_number>/", rounds.topic_agree, name="topic_agree"),
    # Citizen self-assessment links.
    path("link/", links.link_create, name="link_create"),
]

# Questionnaire versions (administrators).
questionnaire_patterns = [
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

progression_patterns = [
    path("cases/<uuid:case_uuid>/", rounds.case_progression, name="case_progression"),
    path("cases/<uuid:case_uuid>/rounds/new/", rounds.round_grid, name="round_create"),
    path("rounds/<uuid:round_uuid>/", include(round_patterns)),
    path("referrals/<uuid:citizen_uuid>/", provider.provider_score, name="provider_score"),
    path("questionnaires/", include(questionnaire_patterns)),
]

urlpatterns = [
    path("progression/", include(progression_patterns)),
    # The citizen's own form, behind the token of a link.
    path("m/<str:token>/", links.citizen_form, name="citizen_form"),
]
