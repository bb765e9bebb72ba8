"""Admin pages for a mapping set: preview, suggestions, publish (with regression check), new draft.

Thin: each view reads the request, calls a service or selector, and renders.
"""
from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import services
from .errors import ConfigurationError
from .models import MappingSet
from .rates import EcbRateProvider, RateSourceError, currency_rates_load
from .preview import preview_run, preview_samples, regression_check, sample_record
from .schemas import schema_for
from .suggestions import mapping_suggestions, suggested_transforms
from .validation import mapping_set_problems


def _mapping_set(request, pk, *, change=False) -> MappingSet:
    perm = "mappings.change_mappingset" if change else "mappings.view_mappingset"
    if not request.user.has_perm(perm):
        raise PermissionDenied
    return get_object_or_404(MappingSet, pk=pk)


def _page(request, ms, template, title, **context):
    from django.contrib import admin

    return TemplateResponse(request, f"admin/mappings/mappingset/{template}", {
        **admin.site.each_context(request), "opts": MappingSet._meta, "original": ms, "mapping_set": ms,
        "title": f"{title}: {ms}", "change_url": reverse("admin:mappings_mappingset_change", args=[ms.pk]), **context,
    })


def _pretty(value) -> str:
    return json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False, default=str)


def preview_view(request, pk):
    ms = _mapping_set(request, pk)
    samples = preview_samples(mapping_set=ms)
    chosen, pasted = request.POST.get("sample") or request.GET.get("sample", ""), request.POST.get("pasted", "")
    record, input_error, result = None, "", None
    if pasted.strip():
        try:
            record = json.loads(pasted)
        except json.JSONDecodeError as exc:
            input_error = f"The pasted text is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
    elif chosen:
        record = sample_record(chosen)
        if record is None:
            input_error = "That sample no longer exists; pick another one."
    if record is not None:
        result = preview_run(mapping_set=ms, record=record)
    return _page(request, ms, "preview.html", "Preview", samples=samples, chosen=chosen, pasted=pasted,
                 input_error=input_error, result=result, source_json=_pretty(record) if record is not None else "",
                 output_json=_pretty(result.payload) if result else "")


def suggestions_view(request, pk):
    ms = _mapping_set(request, pk, change=request.method == "POST")
    source, target = schema_for(ms.source_system, ms.source_object), schema_for(ms.target_system, ms.target_object)
    if request.method == "POST":
        field = target.field_at(request.POST.get("target_field", "")) if target else None
        try:
            fm = services.suggestion_accept(mapping_set=ms, source_path=request.POST.get("source_path", ""),
                                            target_field=request.POST.get("target_field", ""),
                                            transforms=suggested_transforms(field), user=request.user)
            messages.success(request, f"Added the draft mapping {fm}. Review its transforms before publishing.")
        except ConfigurationError as exc:
            messages.error(request, str(exc))
        return redirect(reverse("admin:mappings_mappingset_suggestions", args=[ms.pk]))
    suggestions, missing = [], [f"{s} {o}" for s, o, sc in [(ms.source_system, ms.source_object, source),
                                                             (ms.target_system, ms.target_object, target)] if sc is None]
    if not missing:
        samples = preview_samples(mapping_set=ms, limit=1)
        mapped = set(ms.field_mappings.filter(parent=None).values_list("target_field", flat=True))
        suggestions = mapping_suggestions(source_schema=source, target_schema=target,
                                          source_sample=samples[0].record if samples else None, exclude_targets=mapped)
    return _page(request, ms, "suggestions.html", "Suggestions", suggestions=suggestions, missing=missing,
                 can_accept=ms.is_editable and request.user.has_perm("mappings.change_mappingset"))


def publish_view(request, pk):
    ms = _mapping_set(request, pk, change=True)
    report = regression_check(draft=ms)
    problems = mapping_set_problems(ms)
    if request.method == "POST" and not problems:
        if report.outputs_change and request.POST.get("confirm") != "yes":
            messages.error(request, "The outputs change for some records: review the differences and tick the box to confirm.")
        else:
            try:
                services.mapping_set_publish(mapping_set=ms, user=request.user)
            except ConfigurationError as exc:
                messages.error(request, f"Not published: {exc}")
            else:
                messages.success(request, f"Published {ms.name} version {ms.version}.")
                return redirect(reverse("admin:mappings_mappingset_change", args=[ms.pk]))
    return _page(request, ms, "publish.html", "Publish", report=report, problems=problems)


@require_POST
def draft_view(request, pk):
    ms = _mapping_set(request, pk, change=True)
    draft = services.mapping_set_draft_create(mapping_set=ms, user=request.user)
    messages.success(request, f"Created draft version {draft.version}; edit it, preview it, then publish it.")
    return redirect(reverse("admin:mappings_mappingset_change", args=[draft.pk]))


@require_POST
def currency_rates_load_view(request):
    """*Load ECB rates now*: the European Central Bank's reference rates (MAPPINGS_ECB_RATES_URL)."""
    if not request.user.has_perm("mappings.add_currencyrate"):
        raise PermissionDenied
    try:
        loaded = currency_rates_load(source=EcbRateProvider())
    except RateSourceError as exc:
        messages.error(request, f"No rates were loaded: {exc}")
    else:
        messages.success(request, str(loaded))
    return redirect("admin:mappings_currencyrate_changelist")
