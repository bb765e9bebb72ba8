"""Read-only queries other apps (flows) use to find mapping configuration."""
from __future__ import annotations

from .errors import MappingError
from .models import MappingSet


def mapping_set_published(name: str) -> MappingSet:
    """The published version of the mapping set called name.

    No published version is a configuration problem the admin must fix, so it raises
    MappingError (the sync engine dead-letters the item with this reason; replay after publishing).
    """
    found = MappingSet.objects.filter(name=name, status=MappingSet.Status.PUBLISHED).order_by("-version").first()
    if found is None:
        drafts = MappingSet.objects.filter(name=name).exists()
        hint = "publish a version of it" if drafts else "create and publish it (Mappings → Mapping sets)"
        raise MappingError.single("mapping_set", f"There is no published mapping set named '{name}': {hint}, then replay.", name)
    return found


def mapping_set_versions(name: str):
    return MappingSet.objects.filter(name=name).order_by("-version")
