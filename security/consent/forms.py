"""The consent pages' forms: allow-lists for everything a browser can send."""

from __future__ import annotations

from django import forms

from security.login.services import MAX_IDENTIFIER_LENGTH, MAX_PASSWORD_LENGTH, OTP_LENGTH


class LoginForm(forms.Form):
    customer_id = forms.CharField(
        label="Customer ID", max_length=MAX_IDENTIFIER_LENGTH, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password", max_length=MAX_PASSWORD_LENGTH, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.RegexField(
        label="One-time code", regex=rf"^[0-9]{{{OTP_LENGTH}}}\Z", max_length=OTP_LENGTH,
        min_length=OTP_LENGTH, strip=True,
        error_messages={key: f"Enter the {OTP_LENGTH}-digit code we sent you."
                        for key in ("required", "invalid", "min_length", "max_length")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9]*", "autofocus": True}),
    )


class AccountSelectionForm(forms.Form):
    """Choices are the customer's eligible accounts only: any other value (a tampered form
    naming someone else's account) is a validation error, and nothing is recorded."""

    accounts = forms.TypedMultipleChoiceField(
        label="Accounts to share", coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one account to share.",
                        "invalid_choice": "Select only accounts shown on this page."},
    )

    def __init__(self, *args: object, choices: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["accounts"].choices = choices  # type: ignore[attr-defined]
