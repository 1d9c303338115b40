package io.tokvec.core;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;

import java.nio.charset.StandardCharsets;

/**
 * String hashing as Keras' preprocessing layers do it, on TensorFlow's
 * {@code tf.strings.to_hash_bucket_fast(s, n)}: FarmHash {@code Fingerprint64} of the string's UTF-8
 * bytes, taken as an unsigned 64-bit number, modulo {@code n} (Guava's
 * {@link Hashing#farmHashFingerprint64()} is FarmHash's {@code Fingerprint64}). Documented examples,
 * checked by the tests: {@code to_hash_bucket_fast(["Hello", "TensorFlow", "2.x"], 3) = [0, 2, 2]};
 * {@code Hashing(num_bins=3)} maps A, B, C, D, E to 1, 0, 1, 1, 2.
 */
public final class StringHashing {

    private static final HashFunction FINGERPRINT64 = Hashing.farmHashFingerprint64();

    private StringHashing() {
    }

    /** FarmHash Fingerprint64 of the token's UTF-8 bytes (as a signed long; read it as unsigned). */
    public static long fingerprint64(String token) {
        return FINGERPRINT64.hashString(token, StandardCharsets.UTF_8).asLong();
    }

    /** {@code tf.strings.to_hash_bucket_fast(token, buckets)}: in {@code [0, buckets)}. */
    public static int hashBucket(String token, int buckets) {
        return (int) Long.remainderUnsigned(fingerprint64(token), buckets);
    }

    /**
     * The id {@code StringLookup(mask_token='', num_oov_indices=buckets)} gives a token that is not in
     * its vocabulary: 1 with one OOV index, else {@code 1 + to_hash_bucket_fast(token, buckets)}.
     */
    public static int oovIndex(String token, int buckets) {
        return buckets == 1 ? Vocabulary.OOV : 1 + hashBucket(token, buckets);
    }

    /**
     * Keras {@code Hashing(num_bins=bins)} ({@code mask=false}): {@code to_hash_bucket_fast(token, bins)};
     * or {@code Hashing(num_bins=bins, mask_value='')} ({@code mask=true}): {@code ''} is 0 and any
     * other token {@code 1 + to_hash_bucket_fast(token, bins - 1)}, bin 0 being reserved for the mask.
     */
    public static int hashingBin(String token, int bins, boolean mask) {
        if (!mask) {
            return hashBucket(token, bins);
        }
        return token.isEmpty() ? Vocabulary.PAD : 1 + hashBucket(token, bins - 1);
    }
}
