package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.ModelStore;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import static io.tokvec.streams.HotSwapTopologyTest.assertConsistent;
import static io.tokvec.streams.HotSwapTopologyTest.table;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Versions never go back within a partition, across rebalances too. A partition that moves from
 * instance A (already on v2) to instance B is simulated with two drivers: B's store
 * {@value TokvecTopology#VERSION_STORE} gets what A wrote to it (what B restores from the changelog
 * when it takes the task over), while B's global thread is held back at v1.
 */
class VersionMonotonicityTopologyTest {

    private static final String SCOPE = "VersionMonotonicityTopologyTest";

    @TempDir
    Path stateDir;

    private final List<TopologyHarness> harnesses = new ArrayList<>();

    private TopologyHarness harness(String name, Map<String, String> overrides) {
        TopologyHarness h = new TopologyHarness(SCOPE, stateDir.resolve(name), overrides);
        harnesses.add(h);
        return h;
    }

    @AfterEach
    void closeAll() {
        harnesses.forEach(TopologyHarness::close);
    }

    private static KeyValueStore<String, byte[]> versionStore(TopologyHarness h) {
        return h.driver.getKeyValueStore(TokvecTopology.VERSION_STORE);
    }

    /** Instance A: v1 then v2 published, one event enriched with v2; returns what its version store holds. */
    private TopologyHarness instanceOnV2() {
        TopologyHarness a = harness("a", Map.of());
        a.publish(table(1));
        a.publish(table(2));
        a.pipeIds("on-a", 2, 3);
        assertThat(a.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(2L);
        return a;
    }

    /** Instance B, whose table is held back at v1 (it read only the first records of the model topic). */
    private TopologyHarness instanceHeldBackAtV1(TopologyHarness a, Map<String, String> overrides) {
        TopologyHarness b = harness("b", overrides);
        b.publish(table(1));
        assertThat(b.registry.activeVersion()).isEqualTo(1);
        versionStore(b).put(TopologyHarness.TABLE, versionStore(a).get(TopologyHarness.TABLE)); // the task moves to B
        return b;
    }

    @Test
    void shouldKeepTheNewestVersionUsedPerPartitionInAChangeloggedStoreWhenAnEventIsEnriched() {
        TopologyHarness a = instanceOnV2();

        ByteBuffer kept = ByteBuffer.wrap(versionStore(a).get(TopologyHarness.TABLE));
        long sequence = kept.getLong();
        assertThat(kept.getLong()).as("version").isEqualTo(2);
        // the sequence is the model-topic offset of v2's commit record, the last one piped
        assertThat(sequence).isEqualTo(a.modelLog.size() - 1);
        assertThat(a.registry.activation().sequence()).isEqualTo(sequence);
        assertThat(a.driver.producedTopicNames()).contains("tokvec-test-" + TokvecTopology.VERSION_STORE + "-changelog");
    }

    @Test
    void shouldWaitForTheTableToCatchUpWhenThePartitionAlreadyUsedANewerVersion() throws Exception {
        TopologyHarness a = instanceOnV2();
        TopologyHarness b = instanceHeldBackAtV1(a, Map.of(TokvecConfig.VERSION_CATCHUP_TIMEOUT_MS, "30000"));

        // B's global thread catches up (reads v2) only once its stream thread waits with the event
        int v1Records = b.modelLog.size();
        MapStore store = new MapStore();
        Thread streamThread = Thread.currentThread();
        Thread globalThread = new Thread(() -> {
            awaitWaiting(streamThread);
            for (int offset = v1Records; offset < a.modelLog.size(); offset++) {
                Map.Entry<String, byte[]> r = a.modelLog.get(offset);
                b.registry.onRecord(store, r.getKey(), r.getValue(), offset);
            }
        }, "held-back-global-thread");
        globalThread.start();
        b.pipeIds("on-b", 2, 3);
        globalThread.join(TimeUnit.SECONDS.toMillis(30));

        List<EnrichedEvent> out = b.outputs();
        assertThat(out).extracting(EnrichedEvent::getTableVersion).as("not v1: that would go back").containsExactly(2L);
        assertConsistent(out);
        assertThat(b.deadLetters()).isEmpty();
    }

    @Test
    void shouldDeadLetterAsVersionBehindWhenTheTableDoesNotCatchUpInTime() {
        TopologyHarness a = instanceOnV2();
        TopologyHarness b = instanceHeldBackAtV1(a, Map.of(TokvecConfig.VERSION_CATCHUP_TIMEOUT_MS, "200"));

        b.pipeIds("behind-1", 2);
        b.pipeIds("behind-2", 3);
        assertThat(b.outputs()).isEmpty();
        List<DeadLetter> dead = b.deadLetters();
        assertThat(dead).extracting(DeadLetter::getReason).containsExactly("VERSION_BEHIND", "VERSION_BEHIND");
        assertThat(dead).extracting(DeadLetter::getEventId).containsExactly("behind-1", "behind-2");
        assertThat(dead.get(0).getTableVersion()).isEqualTo(1L);
        assertThat(dead.get(0).getMessage()).contains("at v1", "older than v2", TokvecConfig.VERSION_CATCHUP_TIMEOUT_MS + "=200");
        assertThat(dead.get(0).getValue()).as("original bytes kept").isNotNull();

        // once the global thread has read v2, the partition goes on with it
        a.modelLog.subList(b.modelLog.size(), a.modelLog.size()).forEach(r -> b.pipeModel(r.getKey(), r.getValue()));
        b.pipeIds("caught-up", 2);
        assertThat(b.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(2L);
        assertThat(b.deadLetters()).isEmpty();
    }

    @Test
    void shouldFollowARollbackWhenAnActivateRecordNamesAnOlderVersion() {
        TopologyHarness a = instanceOnV2();
        long before = a.registry.activation().sequence();

        a.send(ModelChunker.activate(TopologyHarness.TABLE, 1, "bad model"));
        a.pipeIds("rolled-back", 2);

        assertThat(a.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(1L);
        assertThat(a.deadLetters()).isEmpty();
        ByteBuffer kept = ByteBuffer.wrap(versionStore(a).get(TopologyHarness.TABLE));
        assertThat(kept.getLong()).as("the activate record's sequence counts as newer").isGreaterThan(before);
        assertThat(kept.getLong()).isEqualTo(1L);
    }

    @Test
    void shouldMoveToTheLaterSequenceWhenTheActiveVersionIsActivatedAgain() {
        TopologyHarness a = instanceOnV2();
        long commitSequence = a.registry.activation().sequence();

        a.send(ModelChunker.activate(TopologyHarness.TABLE, 2, "confirm"));

        assertThat(a.registry.activeVersion()).isEqualTo(2);
        assertThat(a.registry.activation().sequence()).isEqualTo(a.modelLog.size() - 1).isGreaterThan(commitSequence);
        assertThat(a.registry.swapCount()).as("no rebuild for the same version").isEqualTo(2);
    }

    @Test
    void shouldServeThePinnedVersionWhenPinnedEvenIfThePartitionUsedANewerOne() {
        TopologyHarness a = instanceOnV2();
        TopologyHarness b = instanceHeldBackAtV1(a, Map.of(TokvecConfig.TABLE_VERSION, "1",
                TokvecConfig.VERSION_CATCHUP_TIMEOUT_MS, "30000"));

        b.pipeIds("pinned", 2);

        assertThat(b.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(1L);
        assertThat(ByteBuffer.wrap(versionStore(b).get(TopologyHarness.TABLE)).getLong(Long.BYTES))
                .as("a pinned instance does not lower what the partition used").isEqualTo(2L);
    }

    /** Polls until {@code t} waits with a timeout (the stream thread inside the catch-up wait), at most 30 s. */
    private static void awaitWaiting(Thread t) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    /** The held-back global thread's own store for the records it reads late. */
    private static final class MapStore implements ModelStore {
        private final TreeMap<String, byte[]> map = new TreeMap<>();

        @Override public synchronized byte[] get(String storeKey) { return map.get(storeKey); }
        @Override public synchronized void put(String storeKey, byte[] value) { map.put(storeKey, value); }
        @Override public synchronized void delete(String storeKey) { map.remove(storeKey); }

        @Override
        public synchronized void scan(String prefix, BiConsumer<String, byte[]> visitor) {
            map.tailMap(prefix).entrySet().stream().takeWhile(e -> e.getKey().startsWith(prefix))
                    .forEach(e -> visitor.accept(e.getKey(), e.getValue()));
        }
    }
}
