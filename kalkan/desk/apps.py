from __future__ import annotations

from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "kalkan.desk"
    label = "desk"
