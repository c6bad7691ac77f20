"""One way to post a form, on staff pages and in the portal: parse the form, make one service call, show the outcome.

A view that posts a form derives from `FormPostMixin` and a page base (clinic.views.StaffFormView or
PatientFormView, portal.views.PortalFormView) and writes only what is its own:

    class MedicalClearanceView(PatientFormView[MedicalClearanceForm]):
        clinical = True                                 # the patient's clinical data: 404 for front desk
        form_class = MedicalClearanceForm
        template_name = "staff/intake/clearance.html"
        success_message = "Medical clearance recorded."
        denied_message = "Only a prescriber may record a medical clearance."

        def allowed(self, user: User) -> bool:          # the predicate the service enforces: 403 otherwise
            return permissions.can_record_medical_clearance(user)

        def act(self, form: MedicalClearanceForm) -> MedicalClearance:  # the one service call
            patient, note = self.get_patient(), form.cleaned_data["note"]
            return services.record_medical_clearance(by=self.request.user, patient=patient, note=note)

        def success_url(self, result: MedicalClearance) -> str:
            return reverse("staff:intake", args=[result.patient_id])

        def show_form(self, form: MedicalClearanceForm, *, status: int = 200) -> HttpResponse:  # the bound form
            return render(self.request, self.template_name, {"form": form}, status=status)

A service's refusal (clinic.errors) goes through `add_domain_error`, the one function that turns a domain error into
form errors: each field's message beside its field, anything else above the form; the page comes back (400) with
everything that was typed. A form among several on a busy page (the session page) derives from
`PostedFromPageMixin`: it names its place on the page (`form_key`) and the page draws itself with `page(status,
**forms)`, so a refusal redraws the whole page (400) with this form bound in its place. Without a `form_key` (a
button on a list) a refusal becomes a message and goes back to the page. Other answers override `form_invalid` /
`refused`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Protocol

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured, PermissionDenied
from django.forms import BaseForm
from django.http import HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.views import View

from clinic.errors import DomainError, InvalidInput, NotAllowed
from clinic.http import AuthedRequest
from clinic.models import User


class ErrorRows(Protocol):
    """The rows of a formset that hold one list field of a service (e.g. a screening's `medications`)."""

    def take_error(self, key: str, messages: list[str]) -> bool:
        """Show the error of `key` (`medications[2].name`, or `medications` itself) on the rows; False if it is not
        theirs."""
        ...


def add_domain_error(form: BaseForm, exc: DomainError, *, rows: ErrorRows | None = None) -> None:
    """Put a service's refusal on the form that was posted.

    InvalidInput: each message beside its field, found by the service's field name, or by the form's
    `field_for_error(key)` when its fields are named otherwise, or on `rows`; a field the form does not show gets
    its message above the form. Any other domain error (NotAllowed, Conflict): its message above the form.
    """
    rename: Callable[[str], str | None] | None = getattr(form, "field_for_error", None)
    if not isinstance(exc, InvalidInput):
        # A refusal that lists several problems (discharge: each blocker with its code) puts each beside the field
        # its code names, when the form names one; the rest goes above the form.
        blockers = exc.details.get("blockers")
        problems = blockers if isinstance(blockers, list) and blockers else [{"code": exc.code, "detail": exc.message}]
        for problem in problems:
            name = rename(str(problem["code"])) if rename is not None else None
            form.add_error(name if name in form.fields else None, str(problem["detail"]))
        return
    for key, problems in exc.errors.items():
        if rows is not None and rows.take_error(key, problems):
            continue
        name = rename(key) if rename is not None else key
        form.add_error(name if name in form.fields else None, problems)


def error_sentences(form: BaseForm, *, skip: Collection[str] = ()) -> list[str]:
    """A form's errors as lines for a message (a form posted from a page that does not show it again): each field
    named by its label as the page shows it ("Lot number: Give the medication's lot number."), never by its key;
    `skip` leaves out the errors of some fields."""
    lines = []
    for name, errors in form.errors.items():
        if name in skip:
            continue
        text = " ".join(map(str, errors))
        if name == NON_FIELD_ERRORS or name not in form.fields:
            lines.append(text)
        else:
            lines.append(f"{form[name].label}: {text}")
    return lines


class GuardedView(View):
    """A view that refuses what a user may not open, in `check_access`, once its base knows who the user is."""

    request: AuthedRequest

    def check_access(self, user: User) -> None:
        """Raise Http404 for what `user` may not see and PermissionDenied for what their role may not do."""


class FormPostMixin[F: BaseForm](GuardedView):
    """POST: `get_form(data)`, `act(form)` (the one service call), then `succeeded(result)`: the success message and
    a redirect to `success_url(result)`. An invalid form or a refusal comes back through `show_form(form, 400)`.
    `allowed(user)` is the role predicate the service enforces (403 with `denied_message`, on GET too). GET shows
    the empty form. `F` is the form's class, so `act` and `show_form` see its own methods."""

    form_class: type[F] | None = None
    success_message = ""
    denied_message = "Your role may not do this."

    def allowed(self, user: User) -> bool:
        return True

    def check_access(self, user: User) -> None:
        super().check_access(user)
        if not self.allowed(user):
            raise PermissionDenied(self.denied_message)

    def get_form(self, data: Any = None) -> F:
        """The form, bound to `data` when posted."""
        if self.form_class is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a form_class or a get_form().")
        return self.form_class(data)

    def form_is_valid(self, form: F) -> bool:
        return form.is_valid()

    def act(self, form: F) -> Any:
        """The one service call, with `by=self.request.user` and the form's cleaned data; returns its result."""
        raise NotImplementedError

    def show_form(self, form: F, *, status: int = 200) -> HttpResponse:
        """The page with `form` (bound, with its errors, after a refused post)."""
        raise NotImplementedError

    def success_url(self, result: Any) -> str:
        raise NotImplementedError

    def success_text(self, result: Any) -> str:
        return self.success_message

    def get(self, request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """The page with the empty form."""
        return self.show_form(self.get_form())

    def post(self, request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        form = self.get_form(request.POST)
        if not self.form_is_valid(form):
            return self.form_invalid(form)
        try:
            result = self.act(form)
        except DomainError as exc:
            return self.refused(form, exc)
        return self.succeeded(result)

    def form_invalid(self, form: F) -> HttpResponseBase:
        return self.show_form(form, status=400)

    def refused(self, form: F, exc: DomainError) -> HttpResponseBase:
        add_domain_error(form, exc)
        return self.form_invalid(form)

    def succeeded(self, result: Any) -> HttpResponseBase:
        if text := self.success_text(result):
            messages.success(self.request, text)
        return HttpResponseRedirect(self.success_url(result))

    def back_with_error(self, text: str) -> HttpResponseBase:
        """Go back to the page (`success_url(None)`) with `text` as an error message."""
        messages.error(self.request, text)
        return HttpResponseRedirect(self.success_url(None))


class PostedFromPageMixin[F: BaseForm](FormPostMixin[F]):
    """A form posted from a busy page that shows several forms (the session page): it answers POST only, and goes
    back to the page (`success_url`) with the outcome as a message.

    A page that can draw itself again implements `page(status=..., **forms)`, and each form view names its place
    on it (`form_key`, the context name of the form): an invalid form or a refusal then redraws the page (400)
    with this form bound in its place, everything typed and the reason beside the field, like any form post; a
    refusal of the user's role (NotAllowed) is not about what was typed and goes back as a message. Without a
    `form_key` (a button on a list that cannot be drawn again) every refusal becomes an error message on the page
    it came from (`success_url(None)`)."""

    http_method_names = ["post"]
    form_key = ""
    # The whole page, with `forms` (bound, after a refused post) in place of its empty forms: given by the page's
    # own view class, which comes after this mixin among the bases.
    page: Callable[..., HttpResponse]

    def show_form(self, form: F, *, status: int = 200) -> HttpResponse:
        return self.page(status=status, **{self.form_key: form})

    def form_invalid(self, form: F) -> HttpResponseBase:
        if self.form_key:
            return super().form_invalid(form)
        return self.back_with_error("; ".join(error_sentences(form)))

    def refused(self, form: F, exc: DomainError) -> HttpResponseBase:
        if self.form_key and not isinstance(exc, NotAllowed):
            return super().refused(form, exc)
        return self.back_with_error(exc.message)
