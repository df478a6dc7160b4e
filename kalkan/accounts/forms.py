"""Forms of the staff side. Labels are short; help texts say why, in plain words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from kalkan.accounts.models import User, username_validator
from kalkan.accounts.roles import Role


class CodeField(forms.CharField):
    def __init__(self) -> None:
        super().__init__(
            label=_("Code from your authenticator app"),
            min_length=6,
            max_length=8,
            widget=forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 8}
            ),
        )


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    passphrase = forms.CharField(
        label=_("Passphrase"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = CodeField()


class ConfirmForm(forms.Form):
    passphrase = LoginForm.base_fields["passphrase"]
    code = CodeField()


class AddStaffForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=40,
        validators=[username_validator],
        help_text=_("A nickname is safer than a real name: usernames are not encrypted."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def clean_username(self) -> str:
        username = str(self.cleaned_data["username"]).strip().lower()
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("This username is already taken."))
        return username


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class PassphraseForm(forms.Form):
    current = forms.CharField(
        label=_("Current passphrase"),
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = CodeField()
    new = forms.CharField(
        label=_("New passphrase"),
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    repeat = forms.CharField(
        label=_("New passphrase again"),
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new, repeat = data.get("new"), data.get("repeat")
        if new and repeat and new != repeat:
            self.add_error("repeat", _("The two new passphrases are not the same."))
        elif new:
            try:
                password_validation.validate_password(new, self.user)
            except forms.ValidationError as error:
                self.add_error("new", error)
        return data
