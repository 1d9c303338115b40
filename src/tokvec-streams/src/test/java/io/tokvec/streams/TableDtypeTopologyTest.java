package io.tokvec.streams;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.Half;
import io.tokvec.model.TableRejectedException.Reason;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** tokvec.table.dtype, tokvec.output.dtype and tokvec.table.memory.bytes through the topology. */
class TableDtypeTopologyTest {

    @RegisterExtension
    final TopologyHarnesses topology = new TopologyHarnesses();

    private TopologyHarness harness(Map<String, String> overrides) {
        return topology.start(overrides);
    }

    /** 6 rows x 3 dims of values float16 cannot hold exactly (and one bfloat16 tie). */
    static EmbeddingTable table(long version, float scale) {
        float[] v = new float[18];
        for (int i = 0; i < v.length; i++) v[i] = (version + i * 0.3337f) * scale;
        v[4] = Float.intBitsToFloat(0x3f808000); // a bfloat16 tie: rounds to even (1.0)
        return EmbeddingTable.fromFloats(TopologyHarness.TABLE, version, 6, 3, v, null);
    }

    private static float[] floats(ByteBuffer b, boolean half) {
        ByteBuffer d = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[d.remaining() / (half ? 2 : 4)];
        for (int i = 0; i < out.length; i++) out[i] = half ? Half.halfToFloat(d.getShort()) : d.getFloat();
        return out;
    }

    private static EnrichedEvent enrich(TopologyHarness h) {
        h.pipeIds("e1", 1, 5, 0, 2);
        List<EnrichedEvent> out = h.outputs();
        assertThat(out).hasSize(1);
        return out.get(0);
    }

    @Test
    void shouldServeTheExactFloat32OfEachFloat16ValueWhenTheTableIsStoredAsFloat16() {
        TopologyHarness h = harness(Map.of(TokvecConfig.TABLE_DTYPE, "float16"));
        EmbeddingTable t = table(1, 1);
        h.publish(t);
        assertThat(h.registry.active().sizeBytes()).isEqualTo(6 * 3 * 2);
        EnrichedEvent e = enrich(h);
        assertThat(e.getDtype()).isEqualTo("float32");
        float[] got = floats(e.getEmbeddings(), false);
        int[] ids = {1, 5, 0, 2};
        int rounded = 0;
        for (int p = 0; p < 4; p++) {
            for (int k = 0; k < 3; k++) {
                float want = Half.halfToFloat(Half.floatToHalf(t.get(ids[p], k))); // numpy: W.astype(f2).astype(f4)
                assertThat(got[p * 3 + k]).as("position %d col %d", p, k).isEqualTo(want);
                if (want != t.get(ids[p], k)) rounded++;
            }
        }
        assertThat(rounded).as("values float16 had to round").isGreaterThan(8);
    }

    @Test
    void shouldRoundToNearestEvenBfloat16WhenTheTableIsStoredAsBfloat16() {
        TopologyHarness h = harness(Map.of(TokvecConfig.TABLE_DTYPE, "bfloat16"));
        EmbeddingTable t = table(1, 1);
        h.publish(t);
        h.pipeIds("e1", 1);
        float[] got = floats(h.outputs().get(0).getEmbeddings(), false);
        // max_len 4, pre padding: position 3 holds row 1 = values 3..5; value 4 is the tie 0x3f808000
        assertThat(Float.floatToRawIntBits(got[3 * 3 + 1])).isEqualTo(0x3f800000);
        assertThat(got[3 * 3 + 2]).isEqualTo(Half.bfloat16ToFloat(Half.floatToBfloat16(t.get(1, 2))));
    }

    /**
     * The recommended float16 setup (table and output float16: the gather is a plain copy) writes the
     * very bytes of a float32 table with float16 output: each value is rounded once, at build time
     * instead of per event.
     */
    @Test
    void shouldWriteTheSameFloat16BytesFromAFloat16TableAsFromAFloat32Table() {
        EmbeddingTable t = table(1, 1);
        TopologyHarness f32 = harness(Map.of(TokvecConfig.OUTPUT_DTYPE, "float16"));
        f32.publish(t);
        EnrichedEvent fromFloat32 = enrich(f32);
        TopologyHarness f16 = harness(Map.of(TokvecConfig.OUTPUT_DTYPE, "float16", TokvecConfig.TABLE_DTYPE, "float16"));
        f16.publish(t);
        assertThat(f16.registry.active().sizeBytes()).isEqualTo(6 * 3 * 2);
        EnrichedEvent fromFloat16 = enrich(f16);
        assertThat(fromFloat16.getDtype()).isEqualTo("float16");
        assertThat(fromFloat16.getEmbeddings()).isEqualTo(fromFloat32.getEmbeddings());
        assertThat(fromFloat16.getEmbeddings().remaining()).isEqualTo(4 * 3 * 2);
    }

    @Test
    void shouldCarryFloat16BytesNamedByTheDtypeFieldWhenTheOutputDtypeIsFloat16() {
        TopologyHarness h = harness(Map.of(TokvecConfig.OUTPUT_DTYPE, "float16"));
        EmbeddingTable t = table(1, 1);
        h.publish(t);
        EnrichedEvent e = enrich(h);
        assertThat(e.getDtype()).isEqualTo("float16");
        assertThat(e.getEmbeddings().remaining()).isEqualTo(4 * 3 * 2);
        float[] got = floats(e.getEmbeddings(), true);
        int[] ids = {1, 5, 0, 2};
        for (int p = 0; p < 4; p++) {
            for (int k = 0; k < 3; k++) {
                assertThat(got[p * 3 + k]).isEqualTo(Half.halfToFloat(Half.floatToHalf(t.get(ids[p], k))));
            }
        }
    }

    @Test
    void shouldRejectAFloat16TableWhoseValuesOverflowHalfPrecision() {
        TopologyHarness h = harness(Map.of(TokvecConfig.TABLE_DTYPE, "float16"));
        h.publish(table(1, 1));
        h.publish(table(2, 10_000)); // values up to 2e5 > 65504
        assertThat(h.registry.activeVersion()).isEqualTo(1);
        assertThat(h.registry.rejectedCount(Reason.NON_FINITE)).isEqualTo(1);
    }

    @Test
    void shouldRejectASwapAsOutOfMemoryAndKeepServingWhenTheMemoryBudgetHoldsOneVersion() {
        TopologyHarness h = harness(Map.of(TokvecConfig.TABLE_MEMORY_BYTES, Integer.toString(6 * 3 * 4 * 3 / 2)));
        h.publish(table(1, 1));
        h.publish(table(2, 1));
        assertThat(h.registry.activeVersion()).isEqualTo(1);
        assertThat(h.registry.rejectedCount(Reason.OUT_OF_MEMORY)).isEqualTo(1);
        assertThat(h.driver.metrics().entrySet()).as("the rejection metric by reason")
                .anySatisfy(m -> {
                    assertThat(m.getKey().name()).isEqualTo("table-versions-rejected-total");
                    assertThat(m.getKey().tags()).containsEntry("reason", "out_of_memory");
                    assertThat(((Number) m.getValue().metricValue()).doubleValue()).isEqualTo(1.0);
                });
        assertThat(enrich(h).getTableVersion()).isEqualTo(1);
    }

    @Test
    void shouldRefuseFloat16OutputWithTheFloatsEncoding() {
        assertThatThrownBy(() -> harness(Map.of(TokvecConfig.OUTPUT_DTYPE, "float16", TokvecConfig.OUTPUT_ENCODING, "floats")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tokvec.output.dtype")
                .hasMessageContaining("tokvec.output.encoding=bytes");
    }
}
