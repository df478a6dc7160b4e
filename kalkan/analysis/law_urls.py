"""The legislation tracker, under /<lang>/staff/laws/."""

from __future__ import annotations

from django.urls import path

from kalkan.analysis import law_views as views

app_name = "laws"

urlpatterns = [
    path("", views.law_list, name="list"),
    path("new/", views.new_law, name="new"),
    path("<uuid:pk>/", views.law_detail, name="law"),
    path("<uuid:pk>/edit/", views.edit_law, name="edit"),
    path("<uuid:pk>/stages/", views.add_stage, name="add_stage"),
    path("<uuid:pk>/stages/<uuid:stage>/remove/", views.remove_stage, name="remove_stage"),
    path("<uuid:pk>/deadlines/", views.add_deadline, name="add_deadline"),
    path("<uuid:pk>/deadlines/<uuid:deadline>/done/", views.deadline_done,
         name="deadline_done"),
    # Posted from the event page (records): link an event or one of its acts to a law.
    path("events/<uuid:event>/link/", views.link_event, name="link_event"),
    path("events/<uuid:event>/links/<uuid:link>/remove/", views.unlink_event,
         name="unlink_event"),
]
