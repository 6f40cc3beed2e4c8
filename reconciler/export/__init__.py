"""``reconciler export``: live objects back into manifests, to adopt an existing org.

Pure with respect to the target: it takes a live listing (read by ``reconciler.app.export``)
and turns it into files. ``documents`` builds the manifests, ``yaml_writer`` renders
them, ``files`` writes them; ``selection``, ``names`` and ``specs`` are their parts.
"""

from reconciler.export.documents import build_export
from reconciler.export.files import SECRETS_FILE, check_out_dir, other_manifests, planned_files, write_export
from reconciler.export.model import Export, ExportedObject, SecretVariable
from reconciler.export.names import kebab, slug, unique_names, variable_name
from reconciler.export.selection import check_kinds, matches
from reconciler.export.specs import live_spec
from reconciler.export.yaml_writer import MODELINE, render_object, render_secrets, schema_reference

__all__ = [
    "MODELINE",
    "SECRETS_FILE",
    "Export",
    "ExportedObject",
    "SecretVariable",
    "build_export",
    "check_kinds",
    "check_out_dir",
    "kebab",
    "live_spec",
    "matches",
    "other_manifests",
    "planned_files",
    "render_object",
    "render_secrets",
    "schema_reference",
    "slug",
    "unique_names",
    "variable_name",
    "write_export",
]
