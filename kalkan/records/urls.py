"""The documentation officer's coding screens, under /<lang>/staff/records/."""

from __future__ import annotations

from django.urls import path

from kalkan.records import evidence_views, views

app_name = "records"

urlpatterns = [
    path("events/", views.events, name="events"),
    path("events/new/", views.new_event, name="new_event"),
    path("code/<uuid:report>/", views.code_report, name="code_report"),
    path("events/<uuid:pk>/", views.event_detail, name="event"),
    path("events/<uuid:pk>/edit/", views.edit_event, name="edit_event"),
    path("events/<uuid:pk>/acts/", views.add_act, name="add_act"),
    path("events/<uuid:pk>/acts/<str:act>/edit/", views.edit_act, name="edit_act"),
    path("events/<uuid:pk>/acts/<str:act>/remove/", views.remove_act, name="remove_act"),
    path("events/<uuid:pk>/remove/", views.remove_event, name="remove_event"),
    path("events/<uuid:pk>/<str:kind>/<str:part>/remove/", views.remove_part,
         name="remove_part"),
    path("events/<uuid:pk>/perpetrators/", views.add_perpetrator, name="add_perpetrator"),
    path("events/<uuid:pk>/sources/", views.add_source, name="add_source"),
    path("events/<uuid:pk>/interventions/", views.add_intervention, name="add_intervention"),
    path("events/<uuid:pk>/links/", views.link_event, name="link_event"),
    path("events/<uuid:pk>/evidence/<uuid:upload>/", evidence_views.take_file,
         name="take_file"),
    path("events/<uuid:pk>/evidence/", evidence_views.held_elsewhere, name="held_elsewhere"),
    path("events/<uuid:pk>/merge/", evidence_views.merge_event, name="merge_event"),
    path("evidence/<uuid:pk>/", evidence_views.item_page, name="evidence"),
    path("evidence/<uuid:pk>/file/", evidence_views.download, name="evidence_file"),
    path("persons/<uuid:pk>/merge/", evidence_views.merge_person, name="merge_person"),
    path("persons/<uuid:pk>/", views.person_detail, name="person"),
    path("persons/<uuid:pk>/edit/", views.edit_person, name="edit_person"),
    path("persons/<uuid:pk>/consent/", views.record_consent, name="consent"),
    path("persons/<uuid:pk>/identity/", views.show_identity, name="identity"),
    path("persons/<uuid:pk>/identity/edit/", views.edit_identity, name="edit_identity"),
]
