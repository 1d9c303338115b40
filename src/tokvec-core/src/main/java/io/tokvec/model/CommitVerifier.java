package io.tokvec.model;

import io.tokvec.avro.TableCommit;
import io.tokvec.avro.TableDeltaCommit;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks that a commit is signed by one of the trusted Ed25519 keys ({@code tokvec.table.trusted.keys}).
 * With a key id in the commit, only that key is tried; without one, every trusted key is. Several
 * trusted keys allow a rotation: trust the new key next to the old one, sign with the new one, then
 * drop the old one.
 */
public final class CommitVerifier {

    private final Map<String, PublicKey> trusted = new LinkedHashMap<>();

    public CommitVerifier(Collection<PublicKey> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a commit verifier needs at least one trusted key");
        }
        for (PublicKey k : keys) {
            trusted.put(SigningKeys.keyId(k), k);
        }
    }

    /** Key ids of the trusted keys, in the order given. */
    public Collection<String> keyIds() {
        return trusted.keySet();
    }

    /**
     * @throws TableRejectedException {@code UNSIGNED} without a signature, {@code BAD_SIGNATURE} when
     *     no trusted key verifies it
     */
    public void verify(String table, long version, TableCommit commit) throws TableRejectedException {
        verify("table " + table + ": commit of v" + version, commit.getSignature(), commit.getKeyId(),
                () -> CommitSignature.signedBytes(table, version, commit));
    }

    /** As {@link #verify(String, long, TableCommit)}, for a delta commit ({@link CommitSignature#signedBytes(String, long, TableDeltaCommit)}). */
    public void verify(String table, long version, TableDeltaCommit commit) throws TableRejectedException {
        verify("table " + table + ": delta commit of v" + version, commit.getSignature(), commit.getKeyId(),
                () -> CommitSignature.signedBytes(table, version, commit));
    }

    private void verify(String what, ByteBuffer sig, String keyId, java.util.function.Supplier<byte[]> signedBytes)
            throws TableRejectedException {
        if (sig == null || !sig.hasRemaining()) {
            throw new TableRejectedException(TableRejectedException.Reason.UNSIGNED,
                    what + " is not signed, and tokvec.table.trusted.keys requires a signature by one of " + trusted.keySet());
        }
        byte[] signature = new byte[sig.remaining()];
        sig.duplicate().get(signature);
        byte[] message;
        try {
            message = signedBytes.get();
        } catch (IllegalArgumentException e) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_SIGNATURE, what + ": " + e.getMessage());
        }
        if (keyId != null) {
            PublicKey key = trusted.get(keyId);
            if (key == null) {
                throw new TableRejectedException(TableRejectedException.Reason.BAD_SIGNATURE,
                        what + " is signed with key " + keyId + ", which is not trusted (trusted: " + trusted.keySet() + ")");
            }
            if (!verifies(key, message, signature)) {
                throw new TableRejectedException(TableRejectedException.Reason.BAD_SIGNATURE,
                        what + ": the signature does not verify with key " + keyId + " (content or signature altered)");
            }
            return;
        }
        for (PublicKey key : trusted.values()) {
            if (verifies(key, message, signature)) {
                return;
            }
        }
        throw new TableRejectedException(TableRejectedException.Reason.BAD_SIGNATURE,
                what + ": the signature verifies with none of the trusted keys " + trusted.keySet());
    }

    private static boolean verifies(PublicKey key, byte[] message, byte[] signature) {
        try {
            Signature s = Signature.getInstance(SigningKeys.ALGORITHM);
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // a malformed signature (wrong length) is a bad signature
        }
    }
}
