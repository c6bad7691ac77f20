from __future__ import annotations

from typing import Any

from django import forms

from clinic.validators import NOTE_MAX
from messaging.services import SUBJECT_MAX_CHARS

BODY_LIMIT = NOTE_MAX  # the protocol's own limit (messaging.message_max_chars, at most this) is the service's


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your message",
        max_length=BODY_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write a message before sending it."},
    )

    def __init__(self, *args: Any, max_chars: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if max_chars:
            self.fields["body"].help_text = f"Text only, up to {max_chars} characters."
            self.fields["body"].widget.attrs["maxlength"] = str(max_chars)


class NewThreadForm(ReplyForm):
    subject = forms.CharField(
        label="Subject",
        max_length=SUBJECT_MAX_CHARS,
        error_messages={"required": "Give your message a subject."},
    )
    field_order = ["subject", "body"]
