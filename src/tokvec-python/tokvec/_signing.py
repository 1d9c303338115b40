"""Ed25519 commit signatures with python3-cryptography (optional: only needed to sign)."""

import hashlib
import os

__all__ = ["Signer"]


class Signer:
    """Signs commit texts with one Ed25519 private key.

    ``key``: a path to a PEM file (PKCS#8 ``-----BEGIN PRIVATE KEY-----``, as ``openssl genpkey
    -algorithm ed25519`` and ``tokvec publish --gen-key`` write), the PEM bytes, or a
    ``cryptography`` ``Ed25519PrivateKey``. ``key_id`` is the first 16 hex digits of the SHA-256 of
    the public key's DER SubjectPublicKeyInfo, as the Java side computes it.
    """

    def __init__(self, key):
        try:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        except ImportError:
            raise ImportError("signing needs python3-cryptography (Debian) / the cryptography package") from None
        if isinstance(key, (str, os.PathLike)):
            with open(key, "rb") as f:
                key = f.read()
        if isinstance(key, (bytes, bytearray)):
            try:
                key = serialization.load_pem_private_key(bytes(key), password=None)
            except (ValueError, TypeError) as e:
                raise ValueError(f"signing_key: not an unencrypted PEM private key: {e}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"signing_key must be an Ed25519 private key, got {type(key).__name__}")
        self._key = key
        der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.key_id = hashlib.sha256(der).hexdigest()[:16]

    def sign(self, message):
        return self._key.sign(message)
