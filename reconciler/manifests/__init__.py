"""Desired state from YAML manifests: load, validate offline, and hand over as data.

``load_manifests(paths, env)`` returns a :class:`ManifestSet` or raises
:class:`~reconciler.core.errors.ManifestError` carrying every issue found, each located at
file:line:column with its field path. See ``loader`` for the passes.
"""

from __future__ import annotations

from reconciler.manifests.document import API_VERSION
from reconciler.manifests.loader import ManifestSet, load_manifests

__all__ = ["API_VERSION", "ManifestSet", "load_manifests"]
