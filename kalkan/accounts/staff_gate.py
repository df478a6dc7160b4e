"""Default deny for the staff side: every URL under /<language>/staff/ needs a logged-in,
TOTP-verified staff member, whatever the view's own decorators say or forget.

Only the pages a person uses to log in or out are open, named here one by one. A new
staff view that forgets `staff_required` is still closed to strangers; which role may use
it is the view's decorator's job (and the route walker's test, kalkan/accounts/tests/
test_default_deny.py, checks both).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from kalkan.core.gates import ViewGateMiddleware

# URL names (namespace:name) open to people who are not logged in.
OPEN_TO_ANYONE = frozenset({"accounts:login", "accounts:logout"})

_STAFF_PATH = re.compile(
    r"^/(?:" + "|".join(re.escape(code) for code, _name in settings.LANGUAGES) + r")/staff/"
)


def is_staff_path(path: str) -> bool:
    return bool(_STAFF_PATH.match(path))


def is_logged_in(request: HttpRequest) -> bool:
    user = request.user
    # is_verified() is added by django_otp's middleware: true only after the TOTP step.
    is_verified = getattr(user, "is_verified", None)
    return bool(user.is_authenticated and is_verified is not None and is_verified())


class StaffGateMiddleware(ViewGateMiddleware):
    def refuse(
        self, request: HttpRequest, view: Callable[..., HttpResponseBase]
    ) -> HttpResponseBase | None:
        if not is_staff_path(request.path_info) or is_logged_in(request):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_TO_ANYONE:
            return None
        return redirect(
            f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
        )
