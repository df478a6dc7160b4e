from __future__ import annotations

from django.urls import path

from kalkan.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("preparing/", views.preparing, name="preparing"),
    path("confirm/", views.confirm_view, name="confirm"),
    path("passphrase/", views.passphrase, name="passphrase"),
    path("team/", views.team, name="team"),
    path("team/add/", views.add_staff, name="add"),
    path("team/<int:pk>/", views.member, name="member"),
    path(
        "team/<int:pk>/<str:action>/",
        views.member_action,
        name="member_action",
    ),
]
