#!/usr/bin/python3
"""Sign a tokvec table commit the documented way (README, "Signed table versions"), with
python3-cryptography (Debian). A trainer does the same before it produces the commit record.

Usage: sign_commit.py PRIVATE_KEY_PEM < commit.json > signed.json
commit.json holds table, version, rows, dim, chunks, checksum, vocab_checksum (or null) for a full
version; for a delta version (model-topic.md, "Delta versions") it holds table, version,
base_version, base_rows, rows, dim, delta_rows, chunks, delta_checksum, tokens_checksum (or null)
and content_id instead.
The output adds signature (base64), key_id and public_key (PEM) to it. With PRIVATE_KEY_PEM
'-', a fresh key is generated (for tests).
"""
import base64, hashlib, json, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def signed_bytes(c):
    """The UTF-8 lines the signature covers, each ended by '\\n': eight of a full commit, twelve of a delta commit."""
    if "delta_checksum" in c:
        fields = [("table", c["table"]), ("version", c["version"]), ("base_version", c["base_version"]),
                  ("base_rows", c["base_rows"]), ("rows", c["rows"]), ("dim", c["dim"]), ("delta_rows", c["delta_rows"]),
                  ("chunks", c["chunks"]), ("delta_checksum", c["delta_checksum"]),
                  ("tokens_checksum", c["tokens_checksum"] or ""), ("content_id", c["content_id"])]
        return ("tokvec-table-delta-v1\n" + "".join(f"{k}={v}\n" for k, v in fields)).encode("utf-8")
    fields = [("table", c["table"]), ("version", c["version"]), ("rows", c["rows"]), ("dim", c["dim"]),
              ("chunks", c["chunks"]), ("checksum", c["checksum"]),
              ("vocab_checksum", c["vocab_checksum"] or "")]
    return ("tokvec-table-commit-v1\n" + "".join(f"{k}={v}\n" for k, v in fields)).encode("utf-8")


def key_id(public_key):
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def main():
    if sys.argv[1] == "-":
        key = Ed25519PrivateKey.generate()
    else:
        with open(sys.argv[1], "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
    commit = json.load(sys.stdin)
    commit["signature"] = base64.b64encode(key.sign(signed_bytes(commit))).decode("ascii")
    commit["key_id"] = key_id(key.public_key())
    commit["public_key"] = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    json.dump(commit, sys.stdout)


if __name__ == "__main__":
    main()
