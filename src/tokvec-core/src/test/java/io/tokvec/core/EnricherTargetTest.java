package io.tokvec.core;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Enricher#gatherInto}: the embeddings land at the place an {@link EmbeddingsTarget} gives,
 * byte for byte what the enricher's own buffer holds for the same event, and nothing around that
 * place is written.
 */
class EnricherTargetTest {

    private static final byte SENTINEL = 0x5A;

    /** What the target saw when it was asked, and the array it handed out. */
    private static final class Recording implements EmbeddingsTarget {
        final int before;
        final int after;
        final List<String> calls = new ArrayList<>();
        byte[] array;

        Recording(int before, int after) {
            this.before = before;
            this.after = after;
        }

        @Override
        public ByteBuffer place(EnrichResult r, int bytes) {
            calls.add(r.table() + " v" + r.tableVersion() + " length=" + r.length() + " truncated=" + r.truncated()
                    + " dim=" + r.dim() + " dtype=" + r.dtype() + " ids=" + Arrays.toString(r.ids()) + " bytes=" + bytes);
            array = new byte[before + bytes + after];
            Arrays.fill(array, SENTINEL);
            return ByteBuffer.wrap(array, before, bytes);
        }
    }

    @Test
    void shouldGatherIntoTheTargetsPlaceTheBytesOfItsOwnBuffer() throws EnrichException {
        Random rnd = new Random(5);
        int rows = 50;
        int dim = 6;
        float[] values = new float[rows * dim];
        for (int i = 0; i < values.length; i++) values[i] = rnd.nextFloat() * 2 - 1;
        EmbeddingTable table = EmbeddingTable.fromFloats("t", 3, rows, dim, values, null);
        for (EnrichOptions options : List.of(EnrichOptions.of(5),
                new EnrichOptions(5, EnrichOptions.Side.POST, EnrichOptions.Side.POST, EnrichOptions.PadVector.ZEROS,
                        EnrichOptions.OovPolicy.ERROR),
                EnrichOptions.of(4).withPooling(Pooling.Mode.MEAN, true))) {
            for (TableDtype dtype : List.of(TableDtype.FLOAT32, TableDtype.FLOAT16)) {
                Enricher own = new Enricher(options, dtype);
                Recording target = new Recording(13, 7);
                Enricher placed = new Enricher(options, dtype).gatherInto(target);
                for (int[] ids : List.of(new int[]{4, 0, 9}, new int[]{1, 2, 3, 4, 5, 6, 7, 8}, new int[]{49})) {
                    EnrichResult expected = own.enrichIds(table, ids, ids.length);
                    byte[] expectedBytes = expected.embeddings().clone();
                    int[] expectedIds = expected.ids().clone();
                    float[] expectedPooled = expected.pooledAsFloats();
                    EnrichResult r = placed.enrichIds(table, ids, ids.length);
                    String what = options + " " + dtype + " " + Arrays.toString(ids);

                    assertThat(target.calls.get(target.calls.size() - 1)).as(what).isEqualTo("t v3 length="
                            + Math.min(ids.length, options.maxLen()) + " truncated=" + (ids.length > options.maxLen())
                            + " dim=" + dim + " dtype=" + dtype + " ids=" + Arrays.toString(expectedIds)
                            + " bytes=" + expectedBytes.length);
                    byte[] a = target.array;
                    assertThat(Arrays.copyOfRange(a, 13, 13 + expectedBytes.length)).as(what).isEqualTo(expectedBytes);
                    for (int i = 0; i < a.length; i++) {
                        if (i < 13 || i >= 13 + expectedBytes.length) {
                            assertThat(a[i]).as("%s: byte %d, outside the place", what, i).isEqualTo(SENTINEL);
                        }
                    }
                    ByteBuffer view = r.embeddingsBuffer();
                    assertThat(view.array()).isSameAs(a);
                    assertThat(view.position()).isEqualTo(13);
                    assertThat(view.remaining()).isEqualTo(expectedBytes.length);
                    assertThat(r.embeddingsAsFloats()).as(what).containsExactly(own.enrichIds(table, ids, ids.length).embeddingsAsFloats());
                    assertThat(r.ids()).isEqualTo(expectedIds);
                    assertThat(r.pooledAsFloats()).isEqualTo(expectedPooled);
                    assertThatThrownBy(r::embeddings).isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("at offset 13: read embeddingsBuffer()");
                }
                assertThat(target.calls).as("one place per event").hasSize(3);
            }
        }
    }

    @Test
    void shouldNotAskTheTargetWithoutASequenceOutput() throws EnrichException {
        EmbeddingTable table = EmbeddingTable.fromFloats("t", 1, 3, 2, new float[]{0, 0, 1, 2, 3, 4}, null);
        Recording target = new Recording(0, 0);
        Enricher e = new Enricher(EnrichOptions.of(3).withPooling(Pooling.Mode.SUM, false)).gatherInto(target);
        EnrichResult r = e.enrichIds(table, new int[]{1, 2}, 2);
        assertThat(target.calls).isEmpty();
        assertThat(r.embeddings()).isEmpty();
        assertThat(r.embeddingsBuffer().remaining()).isZero();
        assertThat(r.pooledAsFloats()).containsExactly(4f, 6f);
    }

    @Test
    void shouldGoBackToItsOwnBufferWhenTheTargetIsRemoved() throws EnrichException {
        EmbeddingTable table = EmbeddingTable.fromFloats("t", 1, 3, 1, new float[]{0, 1, 2}, null);
        Recording target = new Recording(0, 0); // a place of exactly the embeddings' size at offset 0
        Enricher e = new Enricher(EnrichOptions.of(2)).gatherInto(target);
        e.enrichIds(table, new int[]{1, 2}, 2);
        byte[] handedOn = target.array.clone();
        e.gatherInto(null);
        EnrichResult r = e.enrichIds(table, new int[]{2, 2}, 2);
        assertThat(r.embeddings()).isNotSameAs(target.array);
        assertThat(r.embeddingsAsFloats()).containsExactly(2f, 2f);
        assertThat(target.array).as("the target's array is not reused once handed on").isEqualTo(handedOn);
    }

    @Test
    void shouldSayWhatIsWrongWithAPlaceTooSmall() {
        EmbeddingTable table = EmbeddingTable.fromFloats("t", 1, 3, 1, new float[]{0, 1, 2}, null);
        Enricher e = new Enricher(EnrichOptions.of(2)).gatherInto(new EmbeddingsTarget() {
            @Override
            public ByteBuffer place(EnrichResult partial, int bytes) {
                return ByteBuffer.allocate(bytes - 1);
            }

            @Override
            public String toString() {
                return "short";
            }
        });
        assertThatThrownBy(() -> e.enrichIds(table, new int[]{1}, 1)).isInstanceOf(IllegalStateException.class)
                .hasMessage("EmbeddingsTarget short placed 7 bytes, not 8");
    }
}
