package io.tokvec.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokvec.testutil.GoldenCases;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** FarmHash Fingerprint64 and the Keras/TF bucket formulas, against the documentation and Google's FarmHash library. */
class StringHashingTest {

    @Test
    void shouldGiveTheBucketsOfTheToHashBucketFastDocumentationExample() {
        // tf.strings.to_hash_bucket_fast(["Hello", "TensorFlow", "2.x"], 3).numpy() -> array([0, 2, 2])
        assertThat(List.of("Hello", "TensorFlow", "2.x")).map(t -> StringHashing.hashBucket(t, 3)).containsExactly(0, 2, 2);
    }

    @Test
    void shouldGiveTheBinsOfTheKerasHashingDocumentationExamples() {
        // keras.layers.Hashing(num_bins=3) on [['A'], ['B'], ['C'], ['D'], ['E']] -> [[1], [0], [1], [1], [2]]
        assertThat(List.of("A", "B", "C", "D", "E")).map(t -> StringHashing.hashingBin(t, 3, false))
                .containsExactly(1, 0, 1, 1, 2);
        // keras.layers.Hashing(num_bins=3, mask_value='') on [['A'], ['B'], [''], ['C'], ['D']] -> [[1], [1], [0], [2], [2]]
        assertThat(List.of("A", "B", "", "C", "D")).map(t -> StringHashing.hashingBin(t, 3, true))
                .containsExactly(1, 1, 0, 2, 2);
    }

    @Test
    void shouldEqualGooglesFarmhashFingerprintsForTokensOfEveryLengthClassWhenHashing() {
        JsonNode g = GoldenCases.resourceJson(GoldenCases.FINGERPRINTS);
        JsonNode tokens = g.get("tokens");
        JsonNode fps = g.get("fingerprint64");
        assertThat(tokens.size()).isEqualTo(fps.size()).isGreaterThan(90);
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i).asText();
            assertThat(Long.toUnsignedString(StringHashing.fingerprint64(t))).as("fingerprint64(%s)", t)
                    .isEqualTo(fps.get(i).asText());
        }
        Iterator<Map.Entry<String, JsonNode>> buckets = g.get("buckets").fields();
        int checked = 0;
        while (buckets.hasNext()) {
            Map.Entry<String, JsonNode> b = buckets.next();
            int n = Integer.parseInt(b.getKey());
            for (int i = 0; i < tokens.size(); i++) {
                assertThat(StringHashing.hashBucket(tokens.get(i).asText(), n)).as("bucket of %s mod %d", tokens.get(i), n)
                        .isEqualTo(b.getValue().get(i).asInt());
                checked++;
            }
        }
        assertThat(checked).isEqualTo(8 * tokens.size());
    }

    @Test
    void shouldTakeTheFingerprintAsUnsignedWhenItsTopBitIsSet() {
        // Google's FarmHash (the golden file, from Debian's libfarmhash): Fingerprint64("Hello") is >= 2^63
        JsonNode g = GoldenCases.resourceJson(GoldenCases.FINGERPRINTS);
        int hello = 0;
        while (!g.get("tokens").get(hello).asText().equals("Hello")) hello++;
        BigInteger farmhash = new BigInteger(g.get("fingerprint64").get(hello).asText());
        assertThat(farmhash).isGreaterThanOrEqualTo(BigInteger.ONE.shiftLeft(63));
        int bucket = g.get("buckets").get("1000").get(hello).asInt();

        assertThat(StringHashing.fingerprint64("Hello")).as("read as a signed long").isNegative();
        assertThat(StringHashing.fingerprint64("Hello") % 1000).as("the signed remainder, which TensorFlow does not take")
                .isNotEqualTo(bucket);
        assertThat(StringHashing.hashBucket("Hello", 1000)).isEqualTo(bucket);
    }

    @Test
    void shouldPlaceOovTokensAfterTheMaskWhenThereAreSeveralOovIndices() {
        assertThat(StringHashing.oovIndex("anything", 1)).isEqualTo(1);
        assertThat(List.of("Hello", "TensorFlow", "2.x")).map(t -> StringHashing.oovIndex(t, 3)).containsExactly(1, 3, 3);
    }
}
