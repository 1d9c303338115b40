package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.model.ModelChunker;
import io.tokvec.testutil.InMemoryModelStore;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.tokvec.streams.HotSwapTopologyTest.assertConsistent;
import static io.tokvec.streams.HotSwapTopologyTest.table;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Versions never go back within a partition, across rebalances too. A partition that moves from
 * instance A (already on v2) to instance B is simulated with two drivers: B's store
 * {@value TokvecTopology#VERSION_STORE} gets what A wrote to it (what B restores from the changelog
 * when it takes the task over), while B's global thread is held back at v1. The catch-up wait runs
 * on the harness's manual ticker, which records it: B's global thread reads v2 during that wait.
 */
class VersionMonotonicityTopologyTest {

    @RegisterExtension
    final TopologyHarnesses topology = new TopologyHarnesses();

    private TopologyHarness harness(Map<String, String> overrides) {
        return topology.start(overrides);
    }

    private static KeyValueStore<String, byte[]> versionStore(TopologyHarness h) {
        return h.driver.getKeyValueStore(TokvecTopology.VERSION_STORE);
    }

    /** Instance A: v1 then v2 published, one event enriched with v2; returns what its version store holds. */
    private TopologyHarness instanceOnV2() {
        TopologyHarness a = harness(Map.of());
        a.publish(table(1));
        a.publish(table(2));
        a.pipeIds("on-a", 2, 3);
        assertThat(a.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(2L);
        return a;
    }

    /** Instance B, whose table is held back at v1 (it read only the first records of the model topic). */
    private TopologyHarness instanceHeldBackAtV1(TopologyHarness a, Map<String, String> overrides) {
        TopologyHarness b = harness(overrides);
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

        // B's global thread catches up (reads v2) only 5 s into its stream thread's wait with the event
        int v1Records = b.modelLog.size();
        InMemoryModelStore store = new InMemoryModelStore();
        b.ticker.duringNextWait(Duration.ofSeconds(5), () -> {
            for (int offset = v1Records; offset < a.modelLog.size(); offset++) {
                Map.Entry<String, byte[]> r = a.modelLog.get(offset);
                b.registry.onRecord(store, r.getKey(), r.getValue(), offset);
            }
        });
        b.pipeIds("on-b", 2, 3);

        assertThat(b.ticker.waits()).as("one catch-up wait, bounded by %s", TokvecConfig.VERSION_CATCHUP_TIMEOUT_MS)
                .containsExactly(Duration.ofSeconds(30));
        assertThat(b.ticker.elapsed()).as("it ended when v2 was read").isEqualTo(Duration.ofSeconds(5));
        assertThat(b.registry.activeVersion()).isEqualTo(2);
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
        assertThat(b.ticker.waits()).as("behind-1 waits the whole timeout; behind-2 finds it spent")
                .containsExactly(Duration.ofMillis(200));
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
        assertThat(b.ticker.waits()).as("a pinned instance does not wait").isEmpty();

        assertThat(b.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(1L);
        assertThat(ByteBuffer.wrap(versionStore(b).get(TopologyHarness.TABLE)).getLong(Long.BYTES))
                .as("a pinned instance does not lower what the partition used").isEqualTo(2L);
    }
}
