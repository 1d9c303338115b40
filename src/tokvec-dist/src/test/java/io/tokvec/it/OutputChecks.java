package io.tokvec.it;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.tokvec.it.TestTables.assertEnriched;
import static org.assertj.core.api.Assertions.assertThat;

/** The checks every exactly-once integration test makes of the whole output topic, read with read_committed. */
final class OutputChecks {

    private OutputChecks() {
    }

    /**
     * Every input event has exactly one output, each output equals what the table of the version
     * it names makes of its event, and versions never go back within a partition. Returns the
     * number of outputs per version and the last version per partition.
     */
    static Summary assertExactlyOnceAndExact(List<TopicReader.Received<EnrichedEvent>> out, Map<String, TokenEvent> events,
                                             Map<Long, EmbeddingTable> tables) {
        Map<String, Long> perId = out.stream().collect(Collectors.groupingBy(r -> r.value().getId(), Collectors.counting()));
        assertThat(perId.keySet()).as("every input event has an output").isEqualTo(events.keySet());
        assertThat(out).hasSize(events.size());
        return assertExactSoFar(out, events, tables);
    }

    /**
     * The checks that hold for a prefix of the output read while events still flow: every output is of an input
     * event and is the only one of it, equals what the table of the version it names makes of its event, and
     * versions never go back within a partition.
     */
    static Summary assertExactSoFar(List<TopicReader.Received<EnrichedEvent>> out, Map<String, TokenEvent> events,
                                    Map<Long, EmbeddingTable> tables) {
        Map<String, Long> perId = out.stream().collect(Collectors.groupingBy(r -> r.value().getId(), Collectors.counting()));
        assertThat(events).as("input events").containsKeys(perId.keySet().toArray(String[]::new));
        assertThat(perId).as("outputs per event").allSatisfy((id, n) -> assertThat(n).as("outputs of %s", id).isEqualTo(1));

        Map<Integer, Long> lastVersion = new HashMap<>();
        for (TopicReader.Received<EnrichedEvent> r : out) {
            EnrichedEvent e = r.value();
            assertThat(tables).as("table of the version %s names", e.getId()).containsKey(e.getTableVersion());
            assertEnriched(e, events.get(e.getId()), tables.get(e.getTableVersion()), ItApps.MAX_LEN);
            long previous = lastVersion.getOrDefault(r.partition(), 0L);
            assertThat(e.getTableVersion()).as("version of %s after v%d in partition %d", e.getId(), previous, r.partition())
                    .isGreaterThanOrEqualTo(previous);
            lastVersion.put(r.partition(), e.getTableVersion());
        }
        Map<Long, Long> perVersion = out.stream().collect(Collectors.groupingBy(r -> r.value().getTableVersion(), Collectors.counting()));
        return new Summary(perVersion, lastVersion);
    }

    record Summary(Map<Long, Long> perVersion, Map<Integer, Long> lastVersionPerPartition) {
    }
}
