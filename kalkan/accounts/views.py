"""Staff login, re-authentication, logout, the staff home page, and managing the team."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from kalkan.accounts import services
from kalkan.accounts.decorators import (
    acting_user,
    capability_required,
    mark_recent_auth,
    recent_auth_required,
    staff_required,
)
from kalkan.accounts.forms import AddStaffForm, ConfirmForm, LoginForm, PassphraseForm, RoleForm
from kalkan.accounts.home import home_context
from kalkan.accounts.models import User
from kalkan.accounts.roles import Capability
from kalkan.accounts.totp import device_of, qr_svg
from kalkan.audit.services import record
from kalkan.core.pages import page_of
from kalkan.core.words import new_passphrase
from kalkan.vault import middleware as vault_pages
from kalkan.vault import services as vault
from kalkan.vault import workingset
from kalkan.vault.models import StaffKey
from kalkan.vault.session import keep as keep_keys
from kalkan.vault.session import keyring_of, keyring_required


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _refusal_message(refusal: services.Refusal | None) -> str:
    if refusal is services.Refusal.BUSY:
        return _("The server is busy checking other logins. Please try again in a minute.")
    # One answer whatever the cause: telling "waiting" apart would show which names exist
    # (an unknown name never waits) and when a stranger's attempts count.
    return _(
        "The username, passphrase or code is not right, or the account must wait a few "
        "minutes after too many failed attempts. Codes can be used only once."
    )


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST if request.method == "POST" else None)
    error = ""
    if vault.is_sealed():
        error = _(
            "This server is sealed (panic). Nothing can be opened until an administrator "
            "brings the escrow secret back."
        )
    elif request.method == "POST" and form.is_valid():
        result = services.check_credentials(
            form.cleaned_data["username"].strip().lower(),
            form.cleaned_data["passphrase"],
            form.cleaned_data["code"],
            purpose="login",
        )
        if result.refusal is None and result.user is not None and result.keyring is not None:
            user = result.user
            device = device_of(user)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if device is not None:
                otp_login(request, device)
            keep_keys(request, result.keyring)
            mark_recent_auth(request)
            request.session.save()  # the working set is keyed by the (new) session key
            building = workingset.start(str(request.session.session_key), result.keyring)
            record("login", actor_id=user.pk, object_id=str(user.pk))
            target = _safe_next(request, reverse("accounts:home"))
            if building is not None:
                return redirect(reverse("accounts:preparing") + "?" + urlencode({"next": target}))
            return redirect(target)
        error = _refusal_message(result.refusal)
    return render(
        request,
        "accounts/login.html",
        {"form": form, "error": error, "next": _safe_next(request, "")},
        status=200 if not error else 403,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record("logout", actor_id=request.user.pk, object_id=str(request.user.pk))
    logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("accounts:login")


@staff_required
@require_http_methods(["GET", "POST"])
def confirm_view(request: HttpRequest) -> HttpResponse:
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    error = ""
    user = acting_user(request)
    if request.method == "POST" and form.is_valid():
        result = services.check_credentials(
            user.username,
            form.cleaned_data["passphrase"],
            form.cleaned_data["code"],
            purpose="reauth",
        )
        if result.refusal is None:
            mark_recent_auth(request)
            record("reauth", actor_id=user.pk, object_id=str(user.pk))
            return redirect(_safe_next(request, "accounts:home"))
        # Never logged out for it: a stranger's failed logins must not end anyone's session.
        error = _refusal_message(result.refusal)
    return render(
        request,
        "accounts/confirm.html",
        {"form": form, "error": error, "next": _safe_next(request, "")},
        status=200 if not error else 403,
    )


@staff_required
@require_GET
def preparing(request: HttpRequest) -> HttpResponse:
    """After the first unlock: how far the working set is, until it is ready; then on."""
    target = _safe_next(request, reverse("accounts:home"))
    progress = workingset.start(str(request.session.session_key), keyring_required(request))
    if progress is None:
        return redirect(target)
    return vault_pages.preparing(request, progress, request.get_full_path())


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    # Each role's way to its work, with what is waiting (kalkan.accounts.home).
    return render(
        request, "accounts/home.html",
        home_context(request, acting_user(request), keyring_of(request)),
    )


@capability_required(Capability.MANAGE_STAFF)
def team(request: HttpRequest) -> HttpResponse:
    page = page_of(request, User.objects.order_by("username", "pk"))
    return render(request, "accounts/team.html", {"staff": page, "page": page})


@capability_required(Capability.MANAGE_STAFF)
@recent_auth_required
@require_http_methods(["GET", "POST"])
def add_staff(request: HttpRequest) -> HttpResponse:
    form = AddStaffForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        enrolment = services.enrol_staff(
            form.cleaned_data["username"],
            form.cleaned_data["role"],
            actor=acting_user(request),
            keyring=keyring_required(request),
        )
        return _show_enrolment(request, enrolment)
    return render(request, "accounts/add_staff.html", {"form": form})


def _show_enrolment(request: HttpRequest, enrolment: services.Enrolment) -> HttpResponse:
    # Shown once, in the response to the POST: nothing to bookmark or reload, and the
    # page is never cached (Cache-Control: no-store on every page).
    return render(
        request,
        "accounts/enrolment.html",
        {
            "member": enrolment.user,
            "passphrase": enrolment.passphrase,
            "totp_uri": enrolment.totp_uri,
            "qr": qr_svg(enrolment.totp_uri),
        },
    )






@capability_required(Capability.MANAGE_STAFF)
@recent_auth_required
def member(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    return render(
        request,
        "accounts/member.html",
        {
            "member": person,
            "role_form": RoleForm(initial={"role": person.role}),
            "holds_keys": vault.holds_keys(person),
        },
    )


MEMBER_ACTIONS = {"reenrol", "disable", "unlock", "role", "grant"}


@capability_required(Capability.MANAGE_STAFF)
@require_POST
@recent_auth_required
def member_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in MEMBER_ACTIONS:
        raise Http404
    person = get_object_or_404(User, pk=pk)
    actor = acting_user(request)
    try:
        if action == "reenrol":
            enrolment = services.reenrol_staff(
                person, actor=actor, keyring=keyring_required(request)
            )
            return _show_enrolment(request, enrolment)
        if action == "disable":
            keyring = keyring_required(request)
            services.disable_staff(person, actor=actor, keyring=keyring)
            keep_keys(request, keyring)  # now with the new epoch's key
            messages.success(
                request,
                _(
                    "The account is disabled: its sessions have ended and new organisation "
                    "keys were made that it cannot open."
                ),
            )
        elif action == "grant":
            if person.is_active and StaffKey.objects.filter(user=person).exists():
                vault.grant_keys(person, keyring_required(request))
                record("staff.grant", actor_id=actor.pk, object_id=str(person.pk))
                messages.success(request, _("The organisation keys are given back."))
        elif action == "unlock":
            services.unlock(person, actor=actor)
            messages.success(request, _("The account is unlocked."))
        elif action == "role":
            form = RoleForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Choose one of the roles."))
            else:
                services.change_role(person, form.cleaned_data["role"], actor=actor)
                messages.success(request, _("The role is changed."))
    except services.StaffChangeRefused as refused:
        messages.error(request, str(refused))
    return redirect("accounts:member", pk=person.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def passphrase(request: HttpRequest) -> HttpResponse:
    """Change one's own passphrase. Only the person's key is re-wrapped; nothing else moves."""
    user = acting_user(request)
    form = PassphraseForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # Checked like a login (passphrase and code, counted, the same wait): a stolen
        # session must not become a way to try passphrases.
        result = services.check_credentials(
            user.username, form.cleaned_data["current"], form.cleaned_data["code"],
            purpose="passphrase",
        )
        if result.refusal is not None:
            form.add_error(None, _refusal_message(result.refusal))
        else:
            try:
                changed = vault.change_passphrase(
                    user, form.cleaned_data["current"], form.cleaned_data["new"]
                )
            except vault.VaultBusy:
                form.add_error(None, _refusal_message(services.Refusal.BUSY))
            else:
                if changed:
                    record("passphrase.change", actor_id=user.pk, object_id=str(user.pk))
                    messages.success(request, _("Your passphrase is changed."))
                    return redirect("accounts:home")
                form.add_error(None, _refusal_message(services.Refusal.WRONG))
    return render(
        request, "accounts/passphrase.html", {"form": form, "suggestion": new_passphrase()}
    )
