"""The one rule for choosing the mapping set a flow (or one step of it) maps with.

In order:
1. a per-step override in the flow's settings: ``settings["mapping_sets"][step]``, or the flat
   ``settings["<step>_mapping_set"]`` (the older form, e.g. ``contact_mapping_set``);
2. the flow's own mapping set (Flow.mapping_set), for the flow's main step (no ``step``) only;
3. the published mapping set called ``default`` (the handler's ``default_mapping_set`` when
   the caller names none).
"""
from __future__ import annotations

from mappings.engine import mapping_set_published
from mappings.models import MappingSet


def mapping_set_choose(*, flow, step: str = "", default: str = "") -> MappingSet:
    settings = flow.settings or {}
    if step:
        override = (settings.get("mapping_sets") or {}).get(step) or settings.get(f"{step}_mapping_set")
        if override:
            return mapping_set_published(override)
    elif flow.mapping_set_id:
        return flow.mapping_set
    return mapping_set_published(default)


def mapping_set_chosen(*, flow, step: str = "", default: str = "") -> tuple[str, MappingSet | None]:
    """By the same rule, without raising: the name of the set a step uses, and the set it would map
    with (the flow's own set even when it is not published; None when no published version exists)."""
    settings = flow.settings or {}
    if step:
        name = (settings.get("mapping_sets") or {}).get(step) or settings.get(f"{step}_mapping_set") or default
    elif flow.mapping_set_id:
        return flow.mapping_set.name, flow.mapping_set
    else:
        name = default
    found = MappingSet.objects.filter(name=name, status=MappingSet.Status.PUBLISHED).order_by("-version").first()
    return name, found
