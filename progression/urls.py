from django.urls import path

from progression.views import links, provider, questionnaires, rounds

app_name = "progression"

urlpatterns = [
    path("progression/cases/<uuid:case_uuid>/", rounds.case_progression, name="case_progression"),
    path("progression/cases/<uuid:case_uuid>/rounds/new/", rounds.round_grid, name="round_create"),
    path("progression/rounds/<uuid:round_uuid>/", rounds.round_grid, name="round_edit"),
    path(
        "progression/rounds/<uuid:round_uuid>/topics/<int:item_number>/",
        rounds.topic_agree,
        name="topic_agree",
    ),
    path(
        "progression/referrals/<uuid:citizen_uuid>/",
        provider.provider_score,
        name="provider_score",
    ),
    # Citizen self-assessment links.
    path("progression/rounds/<uuid:round_uuid>/link/", links.link_create, name="link_create"),
    path("m/<str:token>/", links.citizen_form, name="citizen_form"),
    # Questionnaire versions (administrators).
    path(
        "progression/questionnaires/",
        questionnaires.questionnaire_list,
        name="questionnaire_list",
    ),
    path(
        "progression/questionnaires/<int:version>/",
        questionnaires.questionnaire_detail,
        name="questionnaire_detail",
    ),
    path(
        "progression/questionnaires/<int:version>/items/<int:number>/",
        questionnaires.item_edit,
        name="item_edit",
    ),
    path(
        "progression/questionnaires/<int:version>/publish/",
        questionnaires.questionnaire_publish,
        name="questionnaire_publish",
    ),
    path(
        "progression/questionnaires/new-draft/",
        questionnaires.questionnaire_new_draft,
        name="questionnaire_new_draft",
    ),
]
