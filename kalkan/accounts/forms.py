"""Forms of the staff side. Labels are short; help texts say why, in plain words."""

from __future__ import annotations

from django import forms
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
