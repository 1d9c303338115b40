package io.tokvec.streams;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TableCommit;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.model.CommitSigner;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.SigningKeys;
import io.tokvec.model.TableRejectedException.Reason;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Signed table versions ({@code tokvec.table.trusted.keys}) under TopologyTestDriver. */
class SignedTablesTopologyTest {

    private static final KeyPair A = SigningKeys.generate();
    private static final KeyPair B = SigningKeys.generate();
    private static final KeyPair INTRUDER = SigningKeys.generate();

    @TempDir
    Path dir;

    @RegisterExtension
    final TopologyHarnesses topology = new TopologyHarnesses();

    private Path publicKeyFile(String name, KeyPair... keys) throws IOException {
        StringBuilder pem = new StringBuilder();
        for (KeyPair k : keys) pem.append(SigningKeys.pem(k.getPublic()));
        Path f = dir.resolve(name);
        Files.writeString(f, pem);
        return f;
    }

    private TopologyHarness harness(Path... trusted) {
        List<String> files = new ArrayList<>();
        for (Path p : trusted) files.add(p.toString());
        return topology.start(Map.of(TokvecConfig.TABLE_TRUSTED_KEYS, String.join(",", files)));
    }

    /** Publishes all chunks, then the commit, signed with {@code key} (null: unsigned). */
    private static void publish(TopologyHarness h, long version, KeyPair key) {
        EmbeddingTable t = HotSwapTopologyTest.table(version);
        ModelChunker chunker = new ModelChunker(t, ModelChunker.DEFAULT_CHUNK_BYTES);
        Iterator<ModelChunker.Keyed> it = chunker.chunks();
        while (it.hasNext()) h.send(it.next());
        ModelChunker.Keyed commit = chunker.commit(Map.of());
        if (key != null) {
            new CommitSigner(key.getPrivate(), key.getPublic()).sign(t.name(), t.version(), (TableCommit) commit.record().getBody());
        }
        h.send(commit);
    }

    private static long versionOfNextOutput(TopologyHarness h, String id) {
        h.pipeIds(id, 2, 3);
        List<EnrichedEvent> out = h.outputs();
        assertThat(out).hasSize(1);
        HotSwapTopologyTest.assertConsistent(out);
        return out.get(0).getTableVersion();
    }

    /** The Kafka Streams metric table-versions-rejected-total for one reason. */
    private static double rejectedMetric(TopologyHarness h, Reason reason) {
        return h.driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals(TokvecMetrics.GROUP)
                        && e.getKey().name().equals("table-versions-rejected-total")
                        && reason.name().toLowerCase(Locale.ROOT).equals(e.getKey().tags().get("reason")))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    /** v1 still serves events, and exactly one rejection for {@code reason} is counted, in the registry and the metric. */
    private static void assertRejectedWhileV1StaysActive(TopologyHarness h, Reason reason) {
        assertThat(h.registry.activeVersion()).isEqualTo(1);
        assertThat(versionOfNextOutput(h, "e1")).isEqualTo(1);
        assertThat(h.registry.rejectedCount(reason)).isEqualTo(1);
        assertThat(h.registry.rejectedCount()).isEqualTo(1);
        assertThat(rejectedMetric(h, reason)).isEqualTo(1.0);
    }

    @Test
    void shouldActivateTheVersionWhenItsCommitIsSignedByATrustedKey() throws Exception {
        TopologyHarness h = harness(publicKeyFile("a.pem", A));
        publish(h, 1, A);
        assertThat(h.registry.activeVersion()).isEqualTo(1);
        assertThat(versionOfNextOutput(h, "e1")).isEqualTo(1);
        assertThat(h.registry.rejectedCount()).isZero();
    }

    @Test
    void shouldRejectAsUnsignedAndKeepTheActiveVersionWhenACommitHasNoSignature() throws Exception {
        TopologyHarness h = harness(publicKeyFile("a.pem", A));
        publish(h, 1, A);
        publish(h, 2, null);
        assertRejectedWhileV1StaysActive(h, Reason.UNSIGNED);
        assertThat(h.registry.recentRejections()).singleElement().satisfies(r -> {
            assertThat(r.version()).isEqualTo(2);
            assertThat(r.reason()).isEqualTo(Reason.UNSIGNED);
            assertThat(r.message()).contains("v2 is not signed");
        });
    }

    @Test
    void shouldRejectAsBadSignatureAndKeepTheActiveVersionWhenAnUntrustedKeySigned() throws Exception {
        TopologyHarness h = harness(publicKeyFile("a.pem", A));
        publish(h, 1, A);
        publish(h, 2, INTRUDER);
        assertRejectedWhileV1StaysActive(h, Reason.BAD_SIGNATURE);
    }

    @Test
    void shouldRejectAsBadSignatureWhenASignedCommitWasAlteredAfterSigning() throws Exception {
        TopologyHarness h = harness(publicKeyFile("a.pem", A));
        publish(h, 1, A);
        // a producer with write access re-sends v2's chunks with other data and a commit with their checksum,
        // keeping the genuine signature
        EmbeddingTable genuine = HotSwapTopologyTest.table(2);
        ModelChunker real = new ModelChunker(genuine, ModelChunker.DEFAULT_CHUNK_BYTES);
        TableCommit signed = (TableCommit) real.commit(Map.of()).record().getBody();
        new CommitSigner(A.getPrivate(), A.getPublic()).sign(genuine.name(), 2, signed);
        EmbeddingTable forged = HotSwapTopologyTest.table(7);
        EmbeddingTable forgedAs2 = EmbeddingTable.fromFloats(forged.name(), 2, forged.rows(), forged.dim(),
                TokvecTopologyTest.floats(java.nio.ByteBuffer.wrap(forged.data())), forged.vocabulary().tokens());
        ModelChunker fake = new ModelChunker(forgedAs2, ModelChunker.DEFAULT_CHUNK_BYTES);
        fake.chunks().forEachRemaining(h::send);
        ModelChunker.Keyed commit = fake.commit(Map.of());
        TableCommit c = (TableCommit) commit.record().getBody();
        c.setSignature(signed.getSignature());
        c.setKeyId(signed.getKeyId());
        assertThat(c.getChecksum()).isNotEqualTo(signed.getChecksum());
        h.send(commit);
        assertThat(h.registry.activeVersion()).isEqualTo(1);
        assertThat(h.registry.rejectedCount(Reason.BAD_SIGNATURE)).isEqualTo(1);
        assertThat(h.registry.rejectedCount(Reason.CHECKSUM_MISMATCH)).isZero();
        assertThat(versionOfNextOutput(h, "e1")).isEqualTo(1);
    }

    @Test
    void shouldStillActivateTheGenuineCommitWhenAForgedOneForTheSameVersionCameFirst() throws Exception {
        TopologyHarness h = harness(publicKeyFile("a.pem", A));
        publish(h, 1, A);
        publish(h, 2, null);      // forged: unsigned, rejected, not stored
        publish(h, 2, A);         // the trainer's genuine commit of v2
        assertThat(h.registry.activeVersion()).isEqualTo(2);
        assertThat(versionOfNextOutput(h, "e1")).isEqualTo(2);
        assertThat(h.registry.rejectedCount(Reason.UNSIGNED)).isEqualTo(1);
        assertThat(h.registry.rejectedCount(Reason.DUPLICATE_VERSION)).isZero();
    }

    @Test
    void shouldAcceptBothKeysWhenTheTrustedKeysRotateToASecondKey() throws Exception {
        Path oldKey = publicKeyFile("a.pem", A);
        Path newKey = publicKeyFile("b.pem", B);
        TopologyHarness during = harness(oldKey, newKey);
        publish(during, 1, A);
        assertThat(during.registry.activeVersion()).isEqualTo(1);
        publish(during, 2, B);
        assertThat(during.registry.activeVersion()).isEqualTo(2);
        assertThat(versionOfNextOutput(during, "e1")).isEqualTo(2);
        assertThat(during.registry.rejectedCount()).isZero();

        TopologyHarness after = harness(newKey); // the old key is retired
        publish(after, 1, B);
        publish(after, 2, A);
        assertThat(after.registry.activeVersion()).isEqualTo(1);
        assertThat(after.registry.rejectedCount(Reason.BAD_SIGNATURE)).isEqualTo(1);
        assertThat(versionOfNextOutput(after, "e2")).isEqualTo(1);
    }

    @Test
    void shouldServeNothingWhenNoCommitIsSignedAndSignaturesAreRequired() throws Exception {
        TopologyHarness h = harness(publicKeyFile("a.pem", A));
        publish(h, 1, null);
        assertThat(h.registry.activeVersion()).isEqualTo(-1);
        h.pipeIds("e1", 2);
        assertThat(h.outputs()).isEmpty();
        assertThat(h.deadLetters()).singleElement().satisfies(d -> assertThat(d.getReason()).isEqualTo("NO_TABLE"));
    }

    @Test
    void shouldFailAtStartWhenATrustedKeyFileCannotBeRead() {
        assertThatThrownBy(() -> harness(dir.resolve("missing.pem")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(TokvecConfig.TABLE_TRUSTED_KEYS)
                .hasMessageContaining("missing.pem");
    }
}
