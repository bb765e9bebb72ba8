"""The mapping canvas page and its JSON endpoints (admin views; thin callers of mappings/canvas.py).

Reading needs mappings.view_mappingset, changing a link mappings.change_mappingset. Bad input is
answered 400 with {"error": "<sentence>"}.
"""
from __future__ import annotations

import json

from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import canvas
from .admin_views import _mapping_set, _page
from .errors import ConfigurationError


def _refused(exc: ConfigurationError) -> JsonResponse:
    return JsonResponse({"error": " ".join(exc.problems)}, status=400)


def _body(request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"The request body is not valid JSON: {exc}.") from exc
    if not isinstance(data, dict):
        raise ConfigurationError("Send a JSON object.")
    return data


@require_GET
def canvas_view(request, pk):
    ms = _mapping_set(request, pk)
    can_edit = ms.is_editable and request.user.has_perm("mappings.change_mappingset")
    return _page(request, ms, "canvas.html", "Canvas", can_edit=can_edit,
                 data_url=reverse("admin:mappings_mappingset_canvas_data", args=[ms.pk]),
                 link_url=reverse("admin:mappings_mappingset_canvas_link", args=[ms.pk]),
                 unlink_url=reverse("admin:mappings_mappingset_canvas_unlink", args=[ms.pk]),
                 preview_url=reverse("admin:mappings_mappingset_canvas_preview", args=[ms.pk]),
                 publish_url=reverse("admin:mappings_mappingset_publish", args=[ms.pk]))


@require_GET
def canvas_data_view(request, pk):
    ms = _mapping_set(request, pk)
    return JsonResponse(canvas.canvas_state(mapping_set=ms, sample_key=request.GET.get("sample", "")[:60]))


@require_GET
def canvas_preview_view(request, pk):
    ms = _mapping_set(request, pk)
    try:
        return JsonResponse(canvas.canvas_preview(mapping_set=ms, sample_key=request.GET.get("sample", "")[:60]))
    except ConfigurationError as exc:
        return _refused(exc)


@require_POST
def canvas_link_view(request, pk):
    ms = _mapping_set(request, pk, change=True)
    try:
        fm = canvas.canvas_link_save(mapping_set=ms, data=_body(request), user=request.user)
    except ConfigurationError as exc:
        return _refused(exc)
    return JsonResponse({"link": canvas.link_json(fm)})


@require_POST
def canvas_unlink_view(request, pk):
    ms = _mapping_set(request, pk, change=True)
    try:
        canvas.canvas_link_delete(mapping_set=ms, link_id=_body(request).get("id"), user=request.user)
    except ConfigurationError as exc:
        return _refused(exc)
    return JsonResponse({"deleted": True})
