"""System checks that catch, before a deploy, what would otherwise only fail in production."""
from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urldefrag

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import HashedFilesMixin, ManifestStaticFilesStorage
from django.contrib.staticfiles.utils import matches_patterns
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string


def _reference_patterns() -> dict:
    """The patterns the manifest storage rewrites: the configured one's when it hashes, else Django's."""
    backend = import_string(settings.STORAGES["staticfiles"]["BACKEND"])
    storage_class = backend if issubclass(backend, HashedFilesMixin) else ManifestStaticFilesStorage
    return storage_class(location=str(settings.BASE_DIR))._patterns


def _found_files() -> dict:
    """Every static file collectstatic would collect, by name (the first finder that has it wins)."""
    found: dict = {}
    for finder in finders.get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            name = getattr(storage, "prefix", None) and posixpath.join(storage.prefix, path) or path
            found.setdefault(name.replace("\\", "/"), (path, storage))
    return found


def _target(source: str, url: str) -> str | None:
    """The static file a reference names, as the manifest storage resolves it (None: not a file of ours)."""
    if re.match(r"^[a-z]+:", url) or url.startswith("//"):
        return None
    static_url = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    if url.startswith("/") and not url.startswith(static_url):
        return None
    path = urldefrag(url)[0].split("?")[0].strip()
    if not path:
        return None
    target = path.removeprefix(static_url) if path.startswith("/") else posixpath.join(posixpath.dirname(source), path)
    return posixpath.normpath(unquote(target))


def static_references_missing() -> list[tuple[str, str]]:
    """(file, reference) pairs where a static file refers to a file that is not among the static files."""
    patterns, found = _reference_patterns(), _found_files()
    missing = []
    for name, (path, storage) in sorted(found.items()):
        compiled = [c for ext, items in patterns.items() if matches_patterns(name, (ext,)) for c, _ in items]
        if not compiled:
            continue
        with storage.open(path) as handle:
            text = handle.read().decode("utf-8", errors="replace")
        for regex in compiled:
            for match in regex.finditer(text):
                target = _target(name, match.group("url"))
                if target is not None and target not in found and not target.endswith("/"):
                    missing.append((name, match.group("url")))
    return missing


@register(Tags.staticfiles, deploy=True)
def static_files_collectable(app_configs, **kwargs):
    """collectstatic with the manifest storage (production) stops at a static file that refers to a
    file that is not there (a vendored script's sourceMappingURL, a stylesheet's url()); caught here first."""
    return [Error(f"The static file {name} refers to {url!r}, which is not a static file here: production's "
                  "`collectstatic` (manifest storage) stops on it, and the deploy fails.",
                  hint="Add the file, or remove the reference (for a vendored file, note the change beside it).",
                  id="security.E001")
            for name, url in static_references_missing()]
