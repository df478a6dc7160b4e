from __future__ import annotations

from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "kalkan.desk"
    label = "desk"

    def ready(self) -> None:
        from kalkan.desk.models import Action, Case, CaseNote, Task
        from kalkan.desk.services import repoint_cases
        from kalkan.vault.services import ROTATION_HOOKS
        from kalkan.vault.workingset import register

        # What staff can search once they unlock (a restricted case only by its members).
        register(Case, kind="case", fields=("title", "summary"))
        register(CaseNote, kind="case_note", fields=("body",))
        register(Action, kind="action", fields=("details",))
        register(Task, kind="task", fields=("title",))
        if repoint_cases not in ROTATION_HOOKS:
            ROTATION_HOOKS.append(repoint_cases)
