package io.tokvec.core;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Weights, OOV buckets, hashing and the sequence switch: what is refused, and how. */
class EnricherBeyondTest {

    /** Row i = (i, -i); vocabulary '', '[UNK]' x 3, a, b. */
    private static EmbeddingTable bucketTable() {
        float[] v = new float[12];
        for (int i = 0; i < 6; i++) {
            v[2 * i] = i;
            v[2 * i + 1] = -i;
        }
        return EmbeddingTable.fromFloats("b", 4, 6, 2, v, List.of("", "[UNK]", "[UNK]", "[UNK]", "a", "b"));
    }

    private static EnrichOptions sum(int maxLen) {
        return EnrichOptions.of(maxLen).withPooling(Pooling.Mode.SUM, true);
    }

    @Test
    void shouldApplyWeightsOfTheKeptTokensWhenTruncating() throws EnrichException {
        EmbeddingTable t = bucketTable();
        EnrichResult r = new Enricher(sum(2)).enrichIds(t, List.of(5, 4, 2), List.of(100f, 2f, 0.5f));
        assertThat(r.ids()).containsExactly(4, 2);
        assertThat(r.pooledAsFloats()).containsExactly(2f * 4 + 0.5f * 2, -(2f * 4 + 0.5f * 2));
    }

    @Test
    void shouldWriteThePooledVectorInFloat16WhenTheOutputIsFloat16() throws EnrichException {
        float[] v = {0.1f, 1f / 3, 65504f, 1e-8f, 0.2f, 2f / 3, 16f, -1e-8f};
        EmbeddingTable t = EmbeddingTable.fromFloats("h", 1, 2, 4, v, null);
        EnrichResult r = new Enricher(sum(3), TableDtype.FLOAT16).enrichIds(t, List.of(1, 1));

        assertThat(r.dtype()).isEqualTo(TableDtype.FLOAT16);
        assertThat(r.pooled()).hasSize(4 * 2);
        // pooled in float32 (row 1 twice), then rounded once to half as numpy's astype(np.float16)
        for (int c = 0; c < 4; c++) {
            short expected = Half.floatToHalf(v[4 + c] + v[4 + c]);
            short actual = (short) ((r.pooled()[2 * c] & 0xff) | (r.pooled()[2 * c + 1] << 8));
            assertThat(actual).as("column %d", c).isEqualTo(expected);
            assertThat(r.pooledAsFloats()[c]).isEqualTo(Half.halfToFloat(expected));
        }
    }

    @Test
    void shouldDeadLetterWeightsOfTheWrongLength() {
        assertThatThrownBy(() -> new Enricher(sum(4)).enrichIds(bucketTable(), List.of(4, 5), List.of(1f)))
                .isInstanceOfSatisfying(EnrichException.class, e -> assertThat(e.reason()).isEqualTo(EnrichException.Reason.BAD_WEIGHTS))
                .hasMessage("weights has 1 values but the event has 2 tokens (one weight per token)");
        assertThatThrownBy(() -> new Enricher(sum(4)).enrichIds(bucketTable(), new int[]{4, 5}, 2, new float[]{1, 2, 3}, 3))
                .hasMessage("weights has 3 values but the event has 2 tokens (one weight per token)");
    }

    @Test
    void shouldDeadLetterWeightsWhenThePoolingIsNotSum() {
        for (Pooling.Mode m : List.of(Pooling.Mode.NONE, Pooling.Mode.MEAN, Pooling.Mode.MAX, Pooling.Mode.SQRTN)) {
            Enricher e = new Enricher(EnrichOptions.of(4).withPooling(m, true));
            assertThatThrownBy(() -> e.enrichTokens(bucketTable(), List.of("a"), List.of(1f)))
                    .isInstanceOfSatisfying(EnrichException.class, x -> assertThat(x.reason()).isEqualTo(EnrichException.Reason.BAD_WEIGHTS))
                    .hasMessageContaining("sum pooling only, but tokvec.pooling=" + m.name().toLowerCase());
        }
    }

    @Test
    void shouldDeadLetterNullOrNonFiniteWeightsOfKeptTokens() {
        Enricher e = new Enricher(sum(4));
        assertThatThrownBy(() -> e.enrichIds(bucketTable(), List.of(4, 5), Arrays.asList(1f, null)))
                .hasMessage("weights[1] is null");
        assertThatThrownBy(() -> e.enrichIds(bucketTable(), new int[]{4, 5}, 2, new float[]{Float.NaN, 1}, 2))
                .hasMessage("weights[0] is NaN, not a finite float");
    }

    @Test
    void shouldHashUnknownTokensIntoTheOovRowsWhenThereAreSeveral() throws EnrichException {
        Enricher e = new Enricher(EnrichOptions.of(5).withStrings(new EnrichOptions.Strings(3, 0, true)));
        EnrichResult r = e.enrichTokens(bucketTable(), List.of("Hello", "TensorFlow", "2.x", "a", ""));
        // to_hash_bucket_fast(["Hello", "TensorFlow", "2.x"], 3) = [0, 2, 2], after the mask index 0
        assertThat(r.ids()).containsExactly(1, 3, 3, 4, 0);
        assertThat(r.oovCount()).isEqualTo(3);
    }

    @Test
    void shouldRefuseAVocabularyWhoseOovRowsDifferFromTheBuckets() {
        Enricher e = new Enricher(EnrichOptions.of(3).withStrings(new EnrichOptions.Strings(2, 0, true)));
        assertThatThrownBy(() -> e.enrichTokens(bucketTable(), List.of("a")))
                .isInstanceOfSatisfying(EnrichException.class, x -> assertThat(x.reason()).isEqualTo(EnrichException.Reason.TABLE_MISMATCH))
                .hasMessage("tokvec.oov.buckets=2 needs rows 1..2 of the vocabulary to be OOV rows (as get_vocabulary() of "
                        + "StringLookup(num_oov_indices=2) lists them), but table b v4 has 3 OOV rows (rows 1..3 hold '[UNK]')");
        Enricher one = new Enricher(EnrichOptions.of(3));
        assertThatThrownBy(() -> one.enrichTokens(bucketTable(), List.of("a")))
                .hasMessageContaining("tokvec.oov.buckets=1").hasMessageContaining("has 3 OOV rows");
    }

    @Test
    void shouldKeepRowOneAsTheOnlyOovRowOfAClassicVocabulary() throws EnrichException {
        EmbeddingTable t = EmbeddingTable.fromFloats("c", 1, 4, 1, new float[]{0, 1, 2, 3}, List.of("", "<unk>", "x", "y"));
        assertThat(t.vocabulary().oovRows()).isEqualTo(1);
        EnrichResult r = new Enricher(EnrichOptions.of(4)).enrichTokens(t, List.of("y", "<unk>", "zzz", "x"));
        assertThat(r.ids()).containsExactly(3, 1, 1, 2);
    }

    @Test
    void shouldHashTokensIntoTheBinsWhenHashing() throws EnrichException {
        EmbeddingTable t = EmbeddingTable.fromFloats("h", 1, 3, 1, new float[]{0, 1, 2}, null);
        EnrichResult masked = new Enricher(EnrichOptions.of(5).withStrings(new EnrichOptions.Strings(1, 3, true)))
                .enrichTokens(t, List.of("A", "B", "", "C", "D"));
        assertThat(masked.ids()).containsExactly(1, 1, 0, 2, 2);
        assertThat(masked.oovCount()).isZero();
        EnrichResult plain = new Enricher(EnrichOptions.of(5).withStrings(new EnrichOptions.Strings(1, 3, false)))
                .enrichTokens(t, List.of("A", "B", "C", "D", "E"));
        assertThat(plain.ids()).containsExactly(1, 0, 1, 1, 2);
        assertThat(plain.mask()).containsExactly(true, false, true, true, true);
    }

    @Test
    void shouldRefuseATableThatDoesNotFitTheHashingBins() {
        Enricher e = new Enricher(EnrichOptions.of(2).withStrings(new EnrichOptions.Strings(1, 4, true)));
        assertThatThrownBy(() -> e.enrichTokens(bucketTable(), List.of("a")))
                .isInstanceOfSatisfying(EnrichException.class, x -> assertThat(x.reason()).isEqualTo(EnrichException.Reason.TABLE_MISMATCH))
                .hasMessageContaining("has a vocabulary");
        EmbeddingTable noVocab = EmbeddingTable.fromFloats("h", 2, 3, 1, new float[]{0, 1, 2}, null);
        assertThatThrownBy(() -> e.enrichTokens(noVocab, List.of("a")))
                .hasMessage("tokvec.hashing.bins=4 needs a table of 4 rows (Embedding(input_dim=num_bins)), but table h v2 has 3");
    }

    @Test
    void shouldLeaveTheSequenceOutWhenSequenceIsOff() throws EnrichException {
        EnrichResult r = new Enricher(EnrichOptions.of(3).withPooling(Pooling.Mode.MEAN, false)).enrichIds(bucketTable(), List.of(4, 0, 2));
        assertThat(r.embeddings()).isEmpty();
        assertThat(r.embeddingsAsFloats()).isEmpty();
        assertThat(r.mask()).containsExactly(true, false, true);
        assertThat(r.pooledAsFloats()).containsExactly(3f, -3f);
    }

    @Test
    void shouldProduceNoPooledVectorWithoutPooling() throws EnrichException {
        EnrichResult r = new Enricher(EnrichOptions.of(3)).enrichIds(bucketTable(), List.of(4));
        assertThat(r.pooled()).isNull();
        assertThat(r.pooledAsFloats()).isNull();
    }

    @Test
    void shouldRefuseInvalidStringSettings() {
        assertThatThrownBy(() -> new EnrichOptions.Strings(0, 0, true)).hasMessageContaining(">= 1");
        assertThatThrownBy(() -> new EnrichOptions.Strings(1, 1, true)).hasMessageContaining("0 (off) or >= 2");
    }
}
