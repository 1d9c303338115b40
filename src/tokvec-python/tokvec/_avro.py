"""Avro binary encoding and decoding, fast where tokvec's records need it.

Decoding: :func:`compile_reader` turns a writer schema into Python source specialised to it (every
field read inline, no per-datum dispatch on the schema) and compiles it once per schema id. Arrays of
numbers and booleans are not turned into Python lists: they come back as :class:`Packed` spans of the
record's bytes, which numpy decodes in bulk (``np.frombuffer`` for floats and booleans, a vectorised
varint decoder for ints and longs), and ``bytes`` values come back as ``memoryview`` slices of the
record (no copy). A schema the compiler does not take (a recursive type) is read by the ``avro``
package's generic ``DatumReader`` instead (:func:`generic_reader`); both give the same values.

Encoding: the few writers tokvec needs are written by hand on top of :func:`long_bytes`,
:func:`string_bytes` and the vectorised :func:`encode_varints`; tests check them against the ``avro``
package's ``DatumWriter``.
"""

import io
import json
import struct

import numpy as np

__all__ = [
    "DecodeError", "Packed", "compile_reader", "generic_reader", "reader_for",
    "long_bytes", "string_bytes", "bytes_header", "encode_varints", "decode_varints",
]


class DecodeError(ValueError):
    """A record's bytes do not decode with its writer schema."""


# ---------------------------------------------------------------------------------------------
# encoding

def long_bytes(n):
    """Avro int/long: zig-zag, then base-128 varint, least significant group first."""
    z = (n << 1) ^ (n >> 63)
    if z < 0x80:
        return bytes((z,))
    out = bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def string_bytes(s):
    """Avro string: length, then UTF-8 bytes."""
    b = s.encode("utf-8")
    return long_bytes(len(b)) + b


def bytes_header(length):
    """The length prefix of an Avro bytes value."""
    return long_bytes(length)


def encode_varints(values):
    """Avro encoding of the items of an int/long array (zig-zag varints), vectorised with numpy."""
    v = np.asarray(values, dtype=np.int64).ravel()
    z = ((v << 1) ^ (v >> 63)).view(np.uint64)
    nbytes = np.ones(z.shape, dtype=np.int64)
    for k in range(1, 10):
        nbytes += z >= np.uint64(1 << (7 * k))
    if z.size and int(nbytes.max()) == 1:
        return z.astype(np.uint8).tobytes()
    starts = np.cumsum(nbytes) - nbytes
    out = np.empty(int(nbytes.sum()), dtype=np.uint8)
    for k in range(int(nbytes.max()) if z.size else 0):
        sel = nbytes > k
        group = ((z[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        group |= (nbytes[sel] > k + 1).astype(np.uint8) << 7
        out[starts[sel] + k] = group
    return out.tobytes()


# ---------------------------------------------------------------------------------------------
# decoding helpers shared by the generated readers

def decode_varints(seg, n, max_bytes=10, what="array"):
    """The ``n`` zig-zag varints that fill ``seg`` (uint8 array) exactly, as int64."""
    ends = np.flatnonzero(seg < 0x80)
    if ends.size != n or (n and ends[-1] != seg.size - 1):
        raise DecodeError(f"{what}: expected {n} varints in {seg.size} bytes, found {ends.size}")
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if ends.size == seg.size:  # every value fits one byte
        z = seg.astype(np.uint64)
    else:
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        lens = ends - starts + 1
        longest = int(lens.max())
        if longest > max_bytes:
            raise DecodeError(f"{what}: a varint of {longest} bytes (at most {max_bytes})")
        z = (seg[starts] & 0x7F).astype(np.uint64)
        for k in range(1, longest):  # the k-th byte of every value that has one
            idx = np.flatnonzero(lens > k)
            z[idx] |= (seg[starts[idx] + k] & 0x7F).astype(np.uint64) << np.uint64(7 * k)
    return (z >> np.uint64(1)).view(np.int64) ^ -(z & np.uint64(1)).view(np.int64)


class Packed:
    """An array of numbers or booleans left in the record's bytes: ``spans`` of ``buf`` hold ``n`` items.

    ``kind`` is ``"int"``, ``"long"`` (varints), ``"float"``, ``"double"`` or ``"boolean"``.
    """

    __slots__ = ("kind", "buf", "spans", "n")

    _FIXED = {"float": "<f4", "double": "<f8", "boolean": "u1"}

    def __init__(self, kind, buf, spans, n):
        self.kind = kind
        self.buf = buf
        self.spans = spans
        self.n = n

    def __len__(self):
        return self.n

    def raw(self):
        """The items' bytes as one buffer (a view when they are one span)."""
        mv = memoryview(self.buf)
        if len(self.spans) == 1:
            s, e = self.spans[0]
            return mv[s:e]
        return b"".join(mv[s:e] for s, e in self.spans)

    def array(self):
        return packed_array(self.kind, self.raw(), self.n)

    def tolist(self):
        a = self.array()
        return (a != 0).tolist() if self.kind == "boolean" else a.tolist()

    def __eq__(self, other):
        if isinstance(other, Packed):
            other = other.tolist()
        return self.tolist() == other

    def __repr__(self):
        return f"Packed({self.kind}, {self.tolist()!r})"


def packed_array(kind, raw, n, what="array"):
    """Items of ``kind`` from their Avro bytes: int32 / int64 / float32 / float64 / bool numpy array."""
    if kind == "int" or kind == "long":
        v = decode_varints(np.frombuffer(raw, dtype=np.uint8), n, 5 if kind == "int" else 10, what)
        if kind == "int":
            if n and (int(v.max()) > 0x7FFFFFFF or int(v.min()) < -0x80000000):
                raise DecodeError(f"{what}: an int out of the 32-bit range")
            return v.astype(np.int32)
        return v
    a = np.frombuffer(raw, dtype=Packed._FIXED[kind], count=n)
    return a != 0 if kind == "boolean" else a


def _varint_tail(b, pos, first):
    """The rest of a varint whose first byte (``first``, > 127) was read; returns (zig-zagged value, pos)."""
    z = first & 0x7F
    shift = 7
    while True:
        c = b[pos]
        pos += 1
        z |= (c & 0x7F) << shift
        if c < 0x80:
            return z, pos
        shift += 7
        if shift > 63:
            raise DecodeError(f"varint longer than 10 bytes at byte {pos}")


def _long(b, pos):
    z = b[pos]
    pos += 1
    if z > 127:
        z, pos = _varint_tail(b, pos, z)
    return (z >> 1) ^ -(z & 1), pos


def _block_count(b, pos):
    """The item count of the next array/map block (a negative count is followed by the block's size)."""
    n, pos = _long(b, pos)
    if n < 0:
        n = -n
        _, pos = _long(b, pos)
    return n, pos


def _varint_array(b, pos, kind):
    """An int/long array: finds where each block's varints end (numpy), decodes nothing yet."""
    max_bytes = 5 if kind == "int" else 10
    spans = []
    total = 0
    n, pos = _block_count(b, pos)
    size = len(b)
    while n:
        seg = np.frombuffer(b, dtype=np.uint8, count=min(size - pos, n * max_bytes), offset=pos)
        ends = np.flatnonzero(seg < 0x80)
        if ends.size < n:
            raise DecodeError(f"array of {n} {kind}s runs past the end of the record")
        end = pos + int(ends[n - 1]) + 1
        spans.append((pos, end))
        total += n
        pos = end
        n, pos = _block_count(b, pos)
    return Packed(kind, b, spans, total), pos


def _fixed_array(b, pos, kind, width):
    """A float/double/boolean array: items of ``width`` bytes each."""
    spans = []
    total = 0
    n, pos = _block_count(b, pos)
    while n:
        end = pos + n * width
        if end > len(b):
            raise DecodeError(f"array of {n} {kind}s runs past the end of the record")
        spans.append((pos, end))
        total += n
        pos = end
        n, pos = _block_count(b, pos)
    return Packed(kind, b, spans, total), pos


def _span(b, pos, n, what):
    if n < 0 or pos + n > len(b):
        raise DecodeError(f"{what} of {n} bytes at byte {pos} runs past the end of the record ({len(b)} bytes)")
    return pos + n


_F32 = struct.Struct("<f").unpack_from
_F64 = struct.Struct("<d").unpack_from

_HELPERS = {
    "_varint_tail": _varint_tail, "_long": _long, "_block_count": _block_count, "_varint_array": _varint_array,
    "_fixed_array": _fixed_array, "_span": _span, "_F32": _F32, "_F64": _F64, "DecodeError": DecodeError,
}


# ---------------------------------------------------------------------------------------------
# the reader compiler

class Unsupported(Exception):
    """The compiler does not take this schema; the generic reader does."""


_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
_NUMERIC_ITEMS = {"int": None, "long": None, "float": 4, "double": 8, "boolean": 1}


class _Compiler:
    def __init__(self):
        self.names = {}       # full name -> schema dict
        self.functions = {}   # full name -> function name
        self.in_progress = set()
        self.sources = []
        self.consts = {}
        self.tmp = 0

    def var(self, prefix="v"):
        self.tmp += 1
        return f"{prefix}{self.tmp}"

    def const(self, value):
        name = f"_c{len(self.consts)}"
        self.consts[name] = value
        return name

    @staticmethod
    def fullname(name, namespace):
        if "." in name or not namespace:
            return name
        return f"{namespace}.{name}"

    def resolve(self, schema, namespace):
        """(type, schema dict or None, namespace) with named references looked up."""
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return schema, None, namespace
            full = self.fullname(schema, namespace)
            if full not in self.names and schema in self.names:
                full = schema
            if full not in self.names:
                raise Unsupported(f"unknown type {schema!r}")
            named = self.names[full]
            return named["type"], named, named["_ns"]
        if isinstance(schema, list):
            return "union", schema, namespace
        t = schema["type"]
        if t in ("record", "error", "enum", "fixed"):
            ns = schema.get("namespace", namespace) if "." not in schema["name"] else schema["name"].rpartition(".")[0]
            full = self.fullname(schema["name"], ns)
            schema = dict(schema, _ns=ns, _full=full)
            self.names[full] = schema
            return ("record" if t == "error" else t), schema, ns
        if isinstance(t, (dict, list)) or t not in _PRIMITIVES | {"array", "map"}:
            return self.resolve(t, namespace)
        return t, schema, namespace

    def gen(self, schema, target, namespace, ind):
        t, s, ns = self.resolve(schema, namespace)
        p = " " * ind
        if t == "null":
            return [f"{p}{target} = None"]
        if t == "boolean":
            return [f"{p}{target} = b[pos] != 0", f"{p}pos += 1"]
        if t in ("int", "long"):
            z = self.var("z")
            return [f"{p}{z} = b[pos]", f"{p}pos += 1",
                    f"{p}if {z} > 127:", f"{p}    {z}, pos = _varint_tail(b, pos, {z})",
                    f"{p}{target} = ({z} >> 1) ^ -({z} & 1)"]
        if t == "float":
            return [f"{p}{target} = _F32(b, pos)[0]", f"{p}pos += 4"]
        if t == "double":
            return [f"{p}{target} = _F64(b, pos)[0]", f"{p}pos += 8"]
        if t in ("bytes", "string"):
            n, e = self.var("n"), self.var("e")
            out = self.gen("long", n, ns, ind)
            out.append(f"{p}{e} = _span(b, pos, {n}, {t!r})")
            out.append(f"{p}{target} = mv[pos:{e}]" if t == "bytes" else f"{p}{target} = str(mv[pos:{e}], 'utf-8')")
            out.append(f"{p}pos = {e}")
            return out
        if t == "fixed":
            size = int(s["size"])
            return [f"{p}{target} = mv[pos:_span(b, pos, {size}, 'fixed')]", f"{p}pos += {size}"]
        if t == "enum":
            symbols = self.const(tuple(s["symbols"]))
            i = self.var("i")
            return self.gen("int", i, ns, ind) + [f"{p}{target} = {symbols}[{i}]"]
        if t == "union":
            i = self.var("u")
            out = self.gen("int", i, ns, ind)
            for k, branch in enumerate(s):
                out.append(f"{p}{'if' if k == 0 else 'elif'} {i} == {k}:")
                out += self.gen(branch, target, ns, ind + 4)
            out.append(f"{p}else:")
            out.append(f"{p}    raise DecodeError('union branch ' + str({i}) + ' out of range')")
            return out
        if t == "array":
            items = s["items"]
            it, _, _ = self.resolve(items, ns)
            if it in _NUMERIC_ITEMS:
                width = _NUMERIC_ITEMS[it]
                if width is None:
                    return [f"{p}{target}, pos = _varint_array(b, pos, {it!r})"]
                return [f"{p}{target}, pos = _fixed_array(b, pos, {it!r}, {width})"]
            lst, n, item = self.var("l"), self.var("n"), self.var("x")
            out = [f"{p}{lst} = []", f"{p}{n}, pos = _block_count(b, pos)", f"{p}while {n}:",
                   f"{p}    for _ in range({n}):"]
            out += self.gen(items, item, ns, ind + 8)
            out += [f"{p}        {lst}.append({item})", f"{p}    {n}, pos = _block_count(b, pos)", f"{p}{target} = {lst}"]
            return out
        if t == "map":
            d, n, k, item = self.var("d"), self.var("n"), self.var("k"), self.var("x")
            out = [f"{p}{d} = {{}}", f"{p}{n}, pos = _block_count(b, pos)", f"{p}while {n}:",
                   f"{p}    for _ in range({n}):"]
            out += self.gen("string", k, ns, ind + 8)
            out += self.gen(s["values"], item, ns, ind + 8)
            out += [f"{p}        {d}[{k}] = {item}", f"{p}    {n}, pos = _block_count(b, pos)", f"{p}{target} = {d}"]
            return out
        if t == "record":
            return [f"{p}{target}, pos = {self.record(s)}(b, mv, pos)"]
        raise Unsupported(f"type {t!r}")

    def record(self, s):
        full = s["_full"]
        if full in self.functions:
            if full in self.in_progress:
                raise Unsupported(f"recursive type {full}")
            return self.functions[full]
        fn = "_r_" + full.replace(".", "_")
        self.functions[full] = fn
        self.in_progress.add(full)
        lines = [f"def {fn}(b, mv, pos):"]
        names = []
        for f in s["fields"]:
            v = self.var("f")
            lines += self.gen(f["type"], v, s["_ns"], 4)
            names.append((f["name"], v))
        lines.append("    return {" + ", ".join(f"{n!r}: {v}" for n, v in names) + "}, pos")
        self.in_progress.discard(full)
        self.sources.append("\n".join(lines))
        return fn


def compile_reader(schema):
    """A function ``read(buf) -> value`` for Avro binary written with ``schema`` (JSON text or parsed).

    Raises :class:`Unsupported` for a schema it does not take (use :func:`generic_reader`).
    """
    if isinstance(schema, (str, bytes)):
        schema = json.loads(schema)
    c = _Compiler()
    body = c.gen(schema, "value", "", 4)
    src = "\n\n".join(c.sources + ["def read(buf, pos=0):\n    b = buf\n    mv = memoryview(buf)\n"
                                   + "\n".join(body) + "\n    return value, pos"])
    scope = dict(_HELPERS)
    scope.update(c.consts)
    exec(compile(src, "<tokvec avro reader>", "exec"), scope)  # noqa: S102 - source generated above from a schema
    read_at = scope["read"]

    def read(buf, pos=0):
        try:
            value, end = read_at(buf, pos)
        except DecodeError:
            raise
        except (IndexError, struct.error, UnicodeDecodeError) as e:
            raise DecodeError(f"truncated or malformed Avro data: {e}") from None
        if end != len(buf):
            raise DecodeError(f"{len(buf) - end} bytes left over after the record")
        return value

    read.source = src
    return read


def generic_reader(schema_text):
    """The ``avro`` package's generic ``DatumReader`` for a writer schema, as ``read(buf) -> value``."""
    import avro.io
    import avro.schema

    parsed = avro.schema.parse(schema_text if isinstance(schema_text, str) else json.dumps(schema_text))
    datum_reader = avro.io.DatumReader(parsed)

    def read(buf, pos=0):
        stream = io.BytesIO(memoryview(buf)[pos:])
        try:
            value = datum_reader.read(avro.io.BinaryDecoder(stream))
        except Exception as e:  # the avro package raises many kinds for bad data
            raise DecodeError(f"malformed Avro data: {e}") from None
        if stream.tell() != len(buf) - pos:
            raise DecodeError(f"{len(buf) - pos - stream.tell()} bytes left over after the record")
        return value

    return read


def reader_for(schema_text, compiled=True):
    """The compiled reader of a writer schema, or the generic one when it cannot be compiled (or ``compiled=False``)."""
    if compiled:
        try:
            return compile_reader(schema_text)
        except Unsupported:
            pass
    return generic_reader(schema_text)
