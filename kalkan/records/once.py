"""One record per coding form, however often it is posted.

Every coding form carries a fresh random token ({% once %} in its template). Saving the form
stores the token with the address of what was made, in the same transaction (SpentForm, the
token unique): the same form posted again — a double click, a reload of the answer, the back
button — is not saved twice but lands on what the first post made, with a notice. The unique
token, not the session, decides: two posts of one form handled at the same moment by two
threads cannot both save (the second one's transaction fails and is rolled back).
A post without a token (a script, an old page) is saved as before.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from kalkan.accounts.decorators import acting_user
from kalkan.records.models import SpentForm

FIELD = "once"
KEPT = timedelta(days=2)
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_token() -> str:
    return secrets.token_urlsafe(18)


def _token(request: HttpRequest) -> str:
    token = request.POST.get(FIELD, "")
    return token if _SHAPE.match(token) else ""


def earlier(request: HttpRequest) -> HttpResponseBase | None:
    """If this very form was saved already: a redirect to what it made, with a notice."""
    token = _token(request)
    if not token:
        return None
    spent = SpentForm.objects.filter(token=token, by=acting_user(request)).first()
    if spent is None:
        return None
    if not (spent.target.startswith("/")
            and url_has_allowed_host_and_scheme(spent.target, allowed_hosts=None)):
        # Not an address Kalkan wrote (the row carries no MAC): never a way off the site;
        # the row goes, and the form is saved as if it had not been.
        spent.delete()
        return None
    messages.info(request, _("This form was already saved: nothing was added twice. "
                             "Here is what it made."))
    return redirect(spent.target)


def save(request: HttpRequest, make: Callable[[], tuple[str, str]]) -> HttpResponseBase:
    """Run `make` (it saves the records and returns the address of what it made and the
    message to show) once for this form's token, and go there."""
    done = earlier(request)
    if done is not None:
        return done
    token = _token(request)
    try:
        with transaction.atomic():
            target, text = make()
            if token:
                now = timezone.now()
                SpentForm.objects.filter(at__lt=now - KEPT).delete()
                SpentForm.objects.create(token=token, by=acting_user(request), target=target,
                                         at=now)
    except IntegrityError:
        # The same form, saved by a post handled at the same moment: this one made nothing.
        done = earlier(request)
        if done is None:
            raise
        return done
    messages.success(request, text)
    return redirect(target)
