"""The practice admin's pages of the check-ins: the reliability report, importing a practice's
own questionnaires, and the partnerships whose alerts cannot be evaluated."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alliance.accounts.models import User
from alliance.checkins import admin_queries, export, queries
from alliance.checkins.forms import ImportQuestionnaireForm
from alliance.privacy.access import access


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@access("admin", scope="practice")
@require_GET
def admin_reliability(request: HttpRequest) -> HttpResponse:
    return render(request, "checkins/admin_reliability.html", admin_queries.reliability_report())


@access("admin", scope="practice")
@require_http_methods(["GET", "POST"])
def admin_instruments(request: HttpRequest) -> HttpResponse:
    """Import a FHIR Questionnaire. When the base's safety item is not recognised the import
    is refused and the form asks which imported item it is (a list of them); after an import
    the report says how each safety item was found and what was normalised."""
    form = ImportQuestionnaireForm(request.POST or None)
    status = 200

    def report(lines: Any) -> list[str]:
        return [_(line.template) % dict(line.params) for line in lines]

    if request.method == "POST":
        if form.is_valid():
            base = form.cleaned_data.get("base") or ""
            try:
                data = json.loads(form.cleaned_data["questionnaire"])
                imported = export.import_questionnaire(
                    data,
                    instrument_id=form.cleaned_data["instrument_id"],
                    base=base or None,
                    max_missing=form.cleaned_data.get("max_missing"),
                    critical_map=form.critical_map(),
                    actor=_user(request),
                )
            except RecursionError:  # JSON nested deeper than any questionnaire
                form.add_error("questionnaire", _("That JSON is nested too deeply."))
            except export.MappingNeeded as exc:
                # Asked again with the imported items to choose from; nothing was stored.
                form = ImportQuestionnaireForm(
                    request.POST, candidates=exc.candidates, candidates_for=base
                )
                form.is_valid()
                for missing in exc.missing:
                    form.add_error(
                        None,
                        _(
                            "Not imported: the safety item %(label)s (%(text)s) was found "
                            "neither by its LOINC code nor by its wording and position. Choose "
                            "below which imported item asks it, then import again."
                        )
                        % {"label": missing.label, "text": missing.text},
                    )
                    form.add_error(
                        form.map_fields[base][missing.item],
                        _("Choose the imported item that asks this safety question."),
                    )
            except export.MappingRefused as exc:
                form.add_error(form.map_fields[base][exc.item], str(exc)[:500])
            except (ValueError, export.ImportError_) as exc:
                form.add_error("questionnaire", str(exc)[:500])
            else:
                messages.success(request, _("Imported %(id)s.") % {"id": imported.instrument_id})
                for line in report(export.import_report(imported.definition)):
                    messages.info(request, line)
                return redirect("checkins:admin_instruments")
        status = 400
    from alliance.checkins.models import PracticeInstrument

    instruments = PracticeInstrument.objects.order_by("instrument_id")
    return render(
        request,
        "checkins/admin_instruments.html",
        {
            "form": form,
            "instruments": [(i, report(export.import_report(i.definition))) for i in instruments],
        },
        status=status,
    )


@access("admin", scope="practice")
@require_GET
def admin_evaluation_failures(request: HttpRequest) -> HttpResponse:
    """Partnerships whose alerts cannot be evaluated: no deterioration or rupture alert is
    raised for them until it is fixed. Names the client as the practice's client list does;
    shows the error, never clinical content."""
    from django.core.paginator import Paginator

    page = Paginator(queries.open_evaluation_failures(), 50).get_page(request.GET.get("page"))
    return render(request, "checkins/admin_evaluation_failures.html", {"page": page})
