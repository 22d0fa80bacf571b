from django.urls import path

from progression import views, views_link, views_questionnaire

app_name = "progression"

urlpatterns = [
    path("progression/cases/<uuid:case_uuid>/", views.case_progression, name="case_progression"),
    path("progression/cases/<uuid:case_uuid>/rounds/new/", views.round_grid, name="round_create"),
    path("progression/rounds/<uuid:round_uuid>/", views.round_grid, name="round_edit"),
    path(
        "progression/rounds/<uuid:round_uuid>/topics/<int:item_number>/",
        views.topic_agree,
        name="topic_agree",
    ),
    path("progression/referrals/<uuid:citizen_uuid>/", views.provider_score, name="provider_score"),
    # Citizen self-assessment links.
    path("progression/rounds/<uuid:round_uuid>/link/", views_link.link_create, name="link_create"),
    path("m/<str:token>/", views_link.citizen_form, name="citizen_form"),
    # Questionnaire versions (administrators).
    path(
        "progression/questionnaires/",
        views_questionnaire.questionnaire_list,
        name="questionnaire_list",
    ),
    path(
        "progression/questionnaires/<int:version>/",
        views_questionnaire.questionnaire_detail,
        name="questionnaire_detail",
    ),
    path(
        "progression/questionnaires/<int:version>/items/<int:number>/",
        views_questionnaire.item_edit,
        name="item_edit",
    ),
    path(
        "progression/questionnaires/<int:version>/publish/",
        views_questionnaire.questionnaire_publish,
        name="questionnaire_publish",
    ),
    path(
        "progression/questionnaires/new-draft/",
        views_questionnaire.questionnaire_new_draft,
        name="questionnaire_new_draft",
    ),
]
