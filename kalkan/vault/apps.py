from __future__ import annotations

from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "kalkan.vault"
    label = "vault"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from kalkan.vault import workingset

        def release_working_set(sender: object, request: object, **kwargs: object) -> None:
            session = getattr(request, "session", None)
            if session is not None and session.session_key:
                workingset.release(session.session_key)

        # weak=False: the receiver is a local function, which would otherwise be collected.
        user_logged_out.connect(
            release_working_set, dispatch_uid="kalkan-working-set", weak=False
        )
