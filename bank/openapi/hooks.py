"""drf-spectacular postprocessing hook: what no single operation knows.

- `servers`: the public and mTLS base URLs from settings (read now, not when base.py was
  imported, so dev/test/prod overlays count), and on each operation the listener that serves
  it (security/listeners.py): a public endpoint is not reachable over mTLS and the reverse;
- the official components the operations refer to (bank/openapi/cdr_spec), transitively;
- the tag definitions, and the authorization server's endpoints (oauth_paths.py);
- the standard's relative links in descriptions, made absolute (CDS_SITE).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django.conf import settings

from bank.openapi import oauth_paths, official
from security import listeners

Json = dict[str, Any]

#: Where the standard's relative links (obsolete versions, error codes, headers) point.
CDS_SITE = "https://consumerdatastandardsaustralia.github.io/standards/"
_RELATIVE_LINK = re.compile(r"\]\((#|includes/)")


def _absolute_links(node: Any) -> Any:
    """Every description with the standard's relative links made absolute (they are relative
    to the standard's own site, and would be broken links in this document)."""
    if isinstance(node, dict):
        return {key: (_RELATIVE_LINK.sub(lambda m: "](" + CDS_SITE + m.group(1), value)
                      if key == "description" and isinstance(value, str)
                      else _absolute_links(value))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_absolute_links(item) for item in node]
    return node


def _bases() -> dict[str, str]:
    public = settings.BANK_PUBLIC_BASE_URL or "/"
    return {listeners.PUBLIC: public, listeners.MTLS: settings.BANK_MTLS_BASE_URL or public}


def _servers(listener: str | None) -> list[Json]:
    bases = _bases()
    described = {
        listeners.PUBLIC: "Public listener (TLS, no client certificate)",
        listeners.MTLS: "mTLS listener (TLS with the data recipient's client certificate)",
    }
    chosen = [listener] if listener in bases else list(bases)
    return [{"url": bases[name], "description": described[name]} for name in chosen]


def cdr_postprocess(result: Json, generator: Any, request: Any, public: bool) -> Json:
    paths: Json = result.setdefault("paths", {})
    for path, (_listener, item) in oauth_paths.PATHS.items():
        paths[path] = copy.deepcopy(item)
    for path, item in paths.items():
        # On each operation: drf-spectacular's final pass takes every key of a path item
        # for an operation, so path-level `servers` is not an option.
        servers = _servers(listeners.listener_for_path(path.split("{", 1)[0]))
        for operation in item.values():
            operation["servers"] = servers

    result["servers"] = _servers(None)
    components: Json = result.setdefault("components", {})
    for kind, definitions in official.referenced_components(paths).items():
        components.setdefault(kind, {}).update(definitions)
    for kind, definitions in copy.deepcopy(oauth_paths.COMPONENTS).items():
        components.setdefault(kind, {}).update(definitions)
    registration = components["securitySchemes"][oauth_paths.CLIENT_SCHEME]
    registration["flows"]["clientCredentials"]["tokenUrl"] = _bases()[listeners.MTLS] + "/token"

    used = {tag for item in paths.values() for op in item.values()
            if isinstance(op, dict) for tag in op.get("tags", [])}
    result["tags"] = [tag for tag in [*official.tags(), oauth_paths.TAG] if tag["name"] in used]
    linked: Json = _absolute_links(result)
    return linked
