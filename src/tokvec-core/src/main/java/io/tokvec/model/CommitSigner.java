package io.tokvec.model;

import io.tokvec.avro.TableCommit;
import io.tokvec.avro.TableDeltaCommit;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;

/** Signs commit records with one Ed25519 private key (see {@link CommitSignature} for what is covered). */
public final class CommitSigner {

    private final PrivateKey key;
    private final String keyId;

    /** @param publicKey the private key's public half, which names the key ({@link SigningKeys#keyId}) */
    public CommitSigner(PrivateKey key, PublicKey publicKey) {
        this.key = key;
        this.keyId = SigningKeys.keyId(publicKey);
    }

    public String keyId() {
        return keyId;
    }

    /** Sets {@code signature} and {@code key_id} of the commit of {@code table} version {@code version}. */
    public void sign(String table, long version, TableCommit commit) {
        commit.setSignature(ByteBuffer.wrap(signature(CommitSignature.signedBytes(table, version, commit))));
        commit.setKeyId(keyId);
    }

    /** Sets {@code signature} and {@code key_id} of the delta commit of {@code table} version {@code version}. */
    public void sign(String table, long version, TableDeltaCommit commit) {
        commit.setSignature(ByteBuffer.wrap(signature(CommitSignature.signedBytes(table, version, commit))));
        commit.setKeyId(keyId);
    }

    private byte[] signature(byte[] message) {
        try {
            Signature s = Signature.getInstance(SigningKeys.ALGORITHM);
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with key " + keyId + ": " + e.getMessage(), e);
        }
    }
}
