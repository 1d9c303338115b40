package io.tokvec.streams;

import io.tokvec.config.TokvecConfig;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.TableRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Publishes a 1,000,000 x 128 float32 table (512 MB) through the chunk protocol into the topology
 * and swaps to it. Build time and heap are logged (a record, not an assertion: speed and memory
 * targets belong to the benchmark).
 */
class LargeTableSwapTest {

    private static final Logger log = LoggerFactory.getLogger(LargeTableSwapTest.class);

    @RegisterExtension
    final TopologyHarnesses topology = new TopologyHarnesses();

    @Test
    void shouldSwapToAMillionRowTablePublishedInChunks() {
        final int rows = 1_000_000;
        final int dim = 128;
        byte[] data = new byte[rows * dim * Float.BYTES];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < rows * dim; i++) {
            EmbeddingTable.putFloat(data, i, (float) rnd.nextGaussian());
        }
        EmbeddingTable big = new EmbeddingTable(TopologyHarness.TABLE, 2, rows, dim, data, null);
        float expected = big.get(999_999, 127);

        TopologyHarness h = topology.start(Map.of(TokvecConfig.MAX_LEN, "8"));
        h.publish(EmbeddingTable.fromFloats(TopologyHarness.TABLE, 1, 2, dim, new float[2 * dim], null));
        h.pipeIds("small", 1);
        AtomicReference<TableRegistry.Swap> swap = new AtomicReference<>();
        h.registry.onSwap(swap::set);

        List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        System.gc();
        long heapBefore = heapUsed();
        heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);

        long t0 = System.nanoTime();
        ModelChunker chunker = new ModelChunker(big, ModelChunker.DEFAULT_CHUNK_BYTES);
        for (Iterator<ModelChunker.Keyed> it = chunker.chunks(); it.hasNext(); ) {
            h.send(it.next());
        }
        long sent = System.nanoTime();
        h.send(chunker.commit(Map.of()));
        long swapped = System.nanoTime();

        long peak = heapPools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        assertThat(h.registry.activeVersion()).isEqualTo(2);
        assertThat(swap.get().version()).isEqualTo(2);
        h.pipeIds("big", 999_999);
        List<EnrichedEvent> out = h.outputs();
        assertThat(out).extracting(EnrichedEvent::getTableVersion).containsExactly(1L, 2L);
        float[] f = TokvecTopologyTest.floats(out.get(1).getEmbeddings());
        assertThat(f[7 * dim + 127]).isEqualTo(expected);

        log.info("large table: {} x {} ({} MiB) in {} chunks: published into the store in {} ms, commit -> verified and swapped in {} ms "
                        + "(registry build {} ms); heap before {} MiB, peak during publish+swap {} MiB (sum of pool peaks, includes the "
                        + "test's own 512 MiB source table)",
                rows, dim, big.sizeBytes() >> 20, chunker.chunkCount(), (sent - t0) / 1_000_000, (swapped - sent) / 1_000_000,
                swap.get().buildMillis(), heapBefore >> 20, peak >> 20);
    }

    private static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
