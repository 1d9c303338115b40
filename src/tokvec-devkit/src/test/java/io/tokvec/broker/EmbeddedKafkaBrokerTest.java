package io.tokvec.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.JaasContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link EmbeddedKafkaBroker} without starting it (the broker itself: EmbeddedKafkaBrokerIT). */
class EmbeddedKafkaBrokerTest {

    @TempDir
    Path tmp;

    @Test
    void shouldGiveClientsTheLoginOfTheNamedUserWhenSaslIsOn() {
        String tricky = "p\"w\\d x";
        try (EmbeddedKafkaBroker b = EmbeddedKafkaBroker.builder().dataDir(tmp).saslPlain(Map.of("bob-2", tricky)).build()) {
            Map<String, Object> client = b.clientProperties("bob-2");
            assertThat(client).containsEntry("security.protocol", "SASL_PLAINTEXT").containsEntry("sasl.mechanism", "PLAIN");
            JaasContext c = JaasContext.loadClientContext(Map.of("sasl.jaas.config", new Password((String) client.get("sasl.jaas.config"))));
            Map<String, ?> options = c.configurationEntries().get(0).getOptions();
            assertThat(options.get("username")).isEqualTo("bob-2");
            assertThat(options.get("password")).isEqualTo(tricky);
            assertThat(b.clientProperties()).containsKey("sasl.jaas.config");
            assertThat(b.saslEnabled()).isTrue();
            assertThatThrownBy(() -> b.clientProperties("nobody")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void shouldRejectBadOptionsWhenBuilding() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().port(70000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().defaultPartitions(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().saslPlain(Map.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().saslPlain(Map.of("a b", "x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().saslPlain(Map.of("x=y", "x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().saslPlain(Map.of(BrokerSecurity.INTERNAL_USER, "x")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().dataDir(tmp).authorizer("admin").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("authenticated users");
    }

    @Test
    void shouldDeleteItsOwnTempDataDirWhenClosed() throws Exception {
        EmbeddedKafkaBroker b = EmbeddedKafkaBroker.builder().build();
        Path dir = b.dataDir();
        assertThat(b.ownsDataDir()).isTrue();
        Files.writeString(dir.resolve("some-file"), "x");
        Files.createDirectories(dir.resolve("sub/dir"));
        b.close();
        assertThat(dir).doesNotExist();
        assertThatThrownBy(b::start).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldCreateAndKeepAGivenDataDir() {
        Path dir = tmp.resolve("a/b/c");
        try (EmbeddedKafkaBroker b = EmbeddedKafkaBroker.builder().dataDir(dir).build()) {
            assertThat(b.dataDir()).isDirectory();
            assertThat(b.ownsDataDir()).isFalse();
            assertThat(b.clusterId()).isNull();
            assertThat(b.isRunning()).isFalse();
            assertThat(b.port()).isZero();
        }
        assertThat(dir).isDirectory();
    }
}
