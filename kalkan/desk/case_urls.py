from __future__ import annotations

from django.urls import path

from kalkan.desk import case_views as views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("inbox/", views.inbox, name="inbox"),
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("new/", views.open_case, name="open"),
    path("attach/", views.attach, name="attach"),
    path("set-aside/<uuid:pk>/", views.set_aside, name="set_aside"),
    path("<uuid:pk>/", views.case_detail, name="case"),
    path("<uuid:pk>/print/", views.print_case, name="print"),
    path("<uuid:pk>/edit/", views.edit, name="edit"),
    path("<uuid:pk>/status/", views.status, name="status"),
    path("<uuid:pk>/risk/", views.risk, name="risk"),
    path("<uuid:pk>/contact/", views.contact, name="contact"),
    path("<uuid:pk>/actions/", views.add_action, name="action"),
    path("<uuid:pk>/tasks/", views.add_task, name="task"),
    path("<uuid:pk>/tasks/<uuid:task>/done/", views.task_done, name="task_done"),
    path("<uuid:pk>/notes/", views.add_note, name="note"),
    path("<uuid:pk>/reply/<uuid:report>/", views.reply_to_reporter, name="reply"),
    path("<uuid:pk>/members/", views.members, name="members"),
]
