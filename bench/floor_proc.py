"""The parsing floor, in its own process: what any plan of these files against this listing must at least do.

    python bench/floor_proc.py ESTATE_DIR LISTING_DIR

libyaml composes every manifest file (``yaml.compose_all`` with ``CSafeLoader``, every node
tree kept, as a naive loader would; values read off the nodes as strings, no typing, no
marks), ``json.loads`` reads the same listing bytes our plan read (saved from the sandbox by
``bench/floor.py``), and every declared spec is compared, as a dict, with the live object of
the same name. Prints how many objects matched.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml


def plain(node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        return {k.value: plain(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [plain(v) for v in node.value]
    return node.value


def main() -> None:
    estate, listing = Path(sys.argv[1]), Path(sys.argv[2])
    declared: dict[tuple[str, str], object] = {}
    for path in sorted(estate.glob("*.yaml")):
        for node in list(yaml.compose_all(path.read_text(), Loader=yaml.CSafeLoader)):
            doc = plain(node) if node is not None else None
            if isinstance(doc, dict) and "kind" in doc:
                declared[(str(doc["kind"]), str(doc["metadata"]["name"]).casefold())] = doc.get("spec") or {}
    same = 0
    for page in sorted(listing.glob("*.json")):
        kind = page.name.split(".")[0]
        for obj in json.loads(page.read_bytes())["entities"]:
            spec = declared.get((kind, str(obj.get("name", "")).casefold()))
            if spec is not None and isinstance(spec, dict) and all(str(obj.get(k)) == str(v) for k, v in spec.items()):
                same += 1
    print(json.dumps({"declared": len(declared), "same": same}))


if __name__ == "__main__":
    main()
