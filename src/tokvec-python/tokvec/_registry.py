"""A small client of the Confluent Schema Registry REST API (also served by Redpanda, Karapace,
Apicurio's compatible API and ``tokvec broker``'s registry), over the standard library.

``url`` is ``http(s)://host:port`` or a comma-separated list of them, tried in turn (a network error
or an HTTP 5xx moves on to the next); ``http://user:password@host:port`` sends HTTP Basic
authentication. Answers are cached for the life of the client: ids are immutable in a registry.
"""

import base64
import json
import threading
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["SchemaRegistry", "SchemaRegistryError"]

_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class SchemaRegistryError(RuntimeError):
    """The registry refused a request or could not be reached."""

    def __init__(self, message, status=None, error_code=None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class SchemaRegistry:
    def __init__(self, url, timeout=30.0):
        if not url or not isinstance(url, str):
            raise ValueError("schema_registry_url must be set (http(s)://host:port)")
        self._bases = []
        for u in url.split(","):
            u = u.strip()
            parts = urllib.parse.urlsplit(u)
            if parts.scheme not in ("http", "https"):
                hint = (" (mock:// registries live inside one JVM; from Python use an HTTP registry such as "
                        "`tokvec broker`'s)") if parts.scheme == "mock" else ""
                raise ValueError(f"schema registry URL must be http(s)://host:port, got {u!r}{hint}")
            auth = None
            netloc = parts.netloc
            if "@" in netloc:
                userinfo, netloc = netloc.rsplit("@", 1)
                auth = "Basic " + base64.b64encode(urllib.parse.unquote(userinfo).encode("utf-8")).decode("ascii")
            base = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
            self._bases.append((base, auth))
        self._timeout = timeout
        self._current = 0
        self._lock = threading.Lock()
        self._by_id = {}
        self._ids = {}

    def __repr__(self):
        return "SchemaRegistry(" + ",".join(b for b, _ in self._bases) + ")"

    def register(self, subject, schema_text):
        """The id of ``schema_text`` under ``subject``, registering it if it is new there."""
        key = ("register", subject, schema_text)
        with self._lock:
            if key in self._ids:
                return self._ids[key]
        answer = self._send("POST", f"/subjects/{_quote(subject)}/versions", {"schema": schema_text})
        sid = _int_field(answer, "id", f"POST /subjects/{subject}/versions")
        with self._lock:
            self._ids[key] = sid
            self._by_id.setdefault(sid, schema_text)
        return sid

    def lookup(self, subject, schema_text):
        """The id of ``schema_text`` if it is registered under ``subject``; raises otherwise."""
        key = ("lookup", subject, schema_text)
        with self._lock:
            if key in self._ids:
                return self._ids[key]
        answer = self._send("POST", f"/subjects/{_quote(subject)}", {"schema": schema_text})
        sid = _int_field(answer, "id", f"POST /subjects/{subject}")
        with self._lock:
            self._ids[key] = sid
        return sid

    def id_for(self, subject, schema_text, auto_register=True):
        return self.register(subject, schema_text) if auto_register else self.lookup(subject, schema_text)

    def schema(self, schema_id):
        """The Avro schema text of ``schema_id``."""
        with self._lock:
            if schema_id in self._by_id:
                return self._by_id[schema_id]
        answer = self._send("GET", f"/schemas/ids/{schema_id}", None)
        kind = answer.get("schemaType")
        if kind not in (None, "AVRO"):
            raise SchemaRegistryError(f"schema id {schema_id} is a {kind} schema, not Avro")
        if answer.get("references"):
            raise SchemaRegistryError(f"schema id {schema_id} uses schema references, which this client does not support")
        text = answer.get("schema")
        if not isinstance(text, str):
            raise SchemaRegistryError(f"unexpected answer to GET /schemas/ids/{schema_id}: no \"schema\" field")
        with self._lock:
            self._by_id[schema_id] = text
        return text

    def _send(self, method, path, body):
        data = None if body is None else json.dumps(body).encode("utf-8")
        errors = []
        n = len(self._bases)
        for k in range(n):
            i = (self._current + k) % n
            base, auth = self._bases[i]
            req = urllib.request.Request(base + path, data=data, method=method)
            req.add_header("Accept", _CONTENT_TYPE + ", application/json; q=0.5")
            if data is not None:
                req.add_header("Content-Type", _CONTENT_TYPE)
            if auth:
                req.add_header("Authorization", auth)
            try:
                with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                    answer = json.loads(resp.read().decode("utf-8"))
                self._current = i
                return answer
            except urllib.error.HTTPError as e:
                message, code = _error_body(e)
                if e.code >= 500:
                    errors.append(f"{base}: HTTP {e.code} {message}")
                    continue
                raise SchemaRegistryError(f"schema registry {base}: {method} {path}: HTTP {e.code}: {message}",
                                          e.code, code) from None
            except (urllib.error.URLError, OSError, ValueError) as e:
                errors.append(f"{base}: {getattr(e, 'reason', e)}")
        raise SchemaRegistryError(f"schema registry unavailable for {method} {path}: " + "; ".join(errors))


def _quote(segment):
    return urllib.parse.quote(segment, safe="")


def _int_field(answer, field, what):
    v = answer.get(field) if isinstance(answer, dict) else None
    if not isinstance(v, int):
        raise SchemaRegistryError(f"unexpected answer to {what}: no integer \"{field}\": {answer!r}")
    return v


def _error_body(e):
    try:
        body = json.loads(e.read().decode("utf-8"))
        return body.get("message", str(body)), body.get("error_code")
    except Exception:  # not a registry's JSON error
        return e.reason, None
