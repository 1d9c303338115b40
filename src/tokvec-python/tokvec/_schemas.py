"""The Avro schemas of tokvec's records (the repository's schemas/, shipped in the package)."""

import functools
import json
import os

_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")


@functools.lru_cache(maxsize=None)
def schema_text(name):
    """The schema ``schemas/<name>.avsc`` as the Java side registers it.

    tokvec's Java classes are generated with ``stringType=String``, which marks every string (and
    map) with ``"avro.java.string": "String"``; registries compare schemas with their properties, so
    this is what gets the same schema id as the Java publisher and application.
    """
    with open(os.path.join(_DIR, name + ".avsc"), encoding="utf-8") as f:
        return json.dumps(_java_strings(json.load(f)), separators=(",", ":"), ensure_ascii=False)


def _java_strings(s):
    if s == "string":
        return {"type": "string", "avro.java.string": "String"}
    if isinstance(s, list):
        return [_java_strings(b) for b in s]
    if not isinstance(s, dict):
        return s
    t = s.get("type")
    if t == "string":
        return dict(s, **{"avro.java.string": "String"})
    out = dict(s)
    if t == "record" or t == "error":
        out["fields"] = [dict(f, type=_java_strings(f["type"])) for f in s["fields"]]
    elif t == "array":
        out["items"] = _java_strings(s["items"])
    elif t == "map":
        out["values"] = _java_strings(s["values"])
        out["avro.java.string"] = "String"
    elif isinstance(t, (dict, list)):
        out["type"] = _java_strings(t)
    return out
