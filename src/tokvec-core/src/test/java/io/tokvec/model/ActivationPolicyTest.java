package io.tokvec.model;

import io.tokvec.model.TableRejectedException.Reason;
import org.junit.jupiter.api.Test;

import static io.tokvec.model.ModelRecords.chunk;
import static io.tokvec.model.ModelRecords.commit;
import static io.tokvec.model.ModelRecords.record;
import static org.assertj.core.api.Assertions.assertThat;

/** Which version should serve, and what to build, for catalogs built record by record (sequences = offsets). */
class ActivationPolicyTest {

    private final VersionCatalog catalog = new VersionCatalog("t", RecordBounds.unlimited(), ModelRecords.DECODER, null);
    private final ActivationPolicy follow = new ActivationPolicy(-1);
    private long offset;

    /** Publishes version {@code v} (one chunk, then its commit); returns the commit's sequence. */
    private long publish(long v) throws TableRejectedException {
        catalog.apply(ModelKey.chunk("t", v, 0), record("t", v, chunk(0, 0, 1, 2)), new byte[0], offset++);
        catalog.apply(ModelKey.commit("t", v), record("t", v, commit(1, 2, 1)), new byte[0], offset);
        return offset++;
    }

    private long activate(long v) throws TableRejectedException {
        catalog.apply(ModelKey.activate("t"), ModelRecords.activate("t", v), new byte[0], offset);
        return offset++;
    }

    private static ActivationPolicy.Candidate c(long version, long sequence) {
        return new ActivationPolicy.Candidate(version, sequence);
    }

    @Test
    void shouldBuildTheNewestCommitOverTheActiveVersion() throws Exception {
        long s1 = publish(1);
        long s2 = publish(2);
        assertThat(follow.plan(catalog, -1, -1).build()).as("nothing active: newest first, then older").containsExactly(c(2, s2), c(1, s1));
        assertThat(follow.plan(catalog, 1, s1).build()).as("over v1: only v2 is tried").containsExactly(c(2, s2));
        assertThat(follow.plan(catalog, 2, s2).keep()).isTrue();
        assertThat(follow.intended(catalog)).isEqualTo(c(2, s2));
    }

    @Test
    void shouldKeepTheActiveVersionWhileTheNewestIsIncompleteOrFailedButServeAnOlderOneWhenNoneIsActive() throws Exception {
        long s1 = publish(1);
        catalog.apply(ModelKey.commit("t", 2), record("t", 2, commit(2, 2, 2)), new byte[0], offset++); // chunks still to come
        assertThat(follow.plan(catalog, 1, s1).keep()).isTrue();
        assertThat(follow.plan(catalog, -1, -1).build()).containsExactly(c(1, s1));
        long s3 = publish(3);
        catalog.markRejected(3, new TableRejectedException(Reason.CHECKSUM_MISMATCH, "test"));
        assertThat(follow.plan(catalog, 1, s1).keep()).as("newest failed: v1 stays").isTrue();
        assertThat(follow.plan(catalog, -1, -1).build()).as("nothing active: past the failed and the incomplete").containsExactly(c(1, s1));
        assertThat(follow.intended(catalog)).as("the newest that is not known to fail").isEqualTo(c(2, offset - 3));
        assertThat(s3).isGreaterThan(s1);
    }

    @Test
    void shouldRollBackOnANewerActivateRecordAndForwardAgainOnANewerCommit() throws Exception {
        long s1 = publish(1);
        long s2 = publish(2);
        long a1 = activate(1);
        assertThat(follow.plan(catalog, 2, s2).build()).containsExactly(c(1, a1));
        assertThat(follow.intended(catalog)).isEqualTo(c(1, a1));
        long a1again = activate(1);
        assertThat(follow.plan(catalog, 1, a1)).as("the same version chosen by a later record")
                .isEqualTo(new ActivationPolicy.Plan(a1again, java.util.List.of()));
        long s3 = publish(3);
        assertThat(follow.plan(catalog, 1, a1again).build()).containsExactly(c(3, s3));
        assertThat(s1).isLessThan(s2);
    }

    @Test
    void shouldFallBackToTheNewestCommitWhenTheActivateRecordNamesAnUnknownVersion() throws Exception {
        publish(1);
        long s2 = publish(2);
        activate(9);
        assertThat(follow.candidates(catalog)).extracting(ActivationPolicy.Candidate::version).containsExactly(2L, 1L);
        assertThat(follow.plan(catalog, 2, s2).keep()).isTrue();
    }

    @Test
    void shouldServeOnlyThePinnedVersion() throws Exception {
        long s1 = publish(1);
        publish(2);
        ActivationPolicy pinned = new ActivationPolicy(1);
        assertThat(pinned.plan(catalog, -1, -1).build()).containsExactly(c(1, s1));
        assertThat(pinned.plan(catalog, 1, s1).keep()).isTrue();
        assertThat(new ActivationPolicy(7).plan(catalog, -1, -1).keep()).isTrue();
        assertThat(new ActivationPolicy(7).intended(catalog)).isNull();
    }
}
