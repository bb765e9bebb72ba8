from django import forms


class TokenForm(forms.Form):
    token = forms.RegexField(regex=r"^\s*\d{6}\s*$", label="Code from your authenticator app",
                             error_messages={"invalid": "Enter the 6-digit code your authenticator app shows."},
                             widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                           "autofocus": True}))

    def clean_token(self):
        return self.cleaned_data["token"].strip()
