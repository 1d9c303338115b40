package io.tokvec.model;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static io.tokvec.model.ModelRecords.chunk;
import static io.tokvec.model.ModelRecords.commit;
import static io.tokvec.model.ModelRecords.record;
import static org.assertj.core.api.Assertions.assertThat;

/** One retention policy: the newest N committed, what is newer, what the caller keeps and what kept versions need. */
class RetentionPolicyTest {

    private final RetentionPolicy two = new RetentionPolicy(2);

    private static TreeSet<Long> set(Long... v) {
        return new TreeSet<>(List.of(v));
    }

    @Test
    void shouldDropEverythingOlderThanTheNewestTwoCommittedVersionsButWhatIsKept() {
        TreeSet<Long> committed = set(1L, 2L, 4L, 5L);
        Set<Long> known = set(1L, 2L, 3L, 4L, 5L, 6L); // 3: chunks of an abandoned version; 6: still arriving
        assertThat(two.victims(committed, known, v -> new long[0], Set.of())).containsExactly(1L, 2L, 3L);
        assertThat(two.victims(committed, known, v -> new long[0], Set.of(1L))).as("the active or pinned v1").containsExactly(2L, 3L);
        assertThat(two.victims(set(1L, 2L), known, v -> new long[0], Set.of())).isEmpty();
    }

    @Test
    void shouldNeverDropAVersionThatAKeptVersionDependsOnTransitively() {
        // what a delta version will say: 5 is built over 4, 4 over 2
        Map<Long, long[]> bases = Map.of(5L, new long[] {4}, 4L, new long[] {2});
        TreeSet<Long> committed = set(1L, 2L, 3L, 4L, 5L);
        assertThat(two.victims(committed, committed, v -> bases.getOrDefault(v, new long[0]), Set.of())).containsExactly(1L, 3L);
    }

    @Test
    void shouldDropTheSameVersionsFromACatalogAsFromItsSets() throws Exception {
        VersionCatalog catalog = new VersionCatalog("t", RecordBounds.unlimited(), ModelRecords.DECODER, null);
        long offset = 0;
        for (long v = 1; v <= 4; v++) {
            catalog.apply(ModelKey.chunk("t", v, 0), record("t", v, chunk(0, 0, 1, 2)), new byte[0], offset++);
            catalog.apply(ModelKey.commit("t", v), record("t", v, commit(1, 2, 1)), new byte[0], offset++);
        }
        catalog.markRejected(4, new TableRejectedException(TableRejectedException.Reason.NON_FINITE, "test"));
        // a version that failed to build still counts: publish, which cannot build, counts it too
        assertThat(two.victims(catalog, Set.of())).containsExactly(1L, 2L);
        assertThat(two.victims(catalog, Set.of(2L))).containsExactly(1L);
    }
}
