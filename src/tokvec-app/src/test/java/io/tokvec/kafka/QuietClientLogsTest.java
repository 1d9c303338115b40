package io.tokvec.kafka;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

import static io.tokvec.kafka.ClusterCheckTest.stderrOf;
import static org.assertj.core.api.Assertions.assertThat;

/** The named loggers say nothing while quiet, and what they said before afterwards; others are left alone. */
class QuietClientLogsTest {

    private static final Logger NETWORK_CLIENT = LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient");
    private static final Logger OTHER = LoggerFactory.getLogger("org.apache.kafka.clients.QuietClientLogsTest");

    @Test
    void shouldSilenceTheNamedLoggersUntilClosed() {
        String during = stderrOf(() -> {
            try (QuietClientLogs quiet = QuietClientLogs.of(QuietClientLogs.KAFKA_CLIENTS, true)) {
                NETWORK_CLIENT.warn("during the check");
                NETWORK_CLIENT.error("during the check");
                OTHER.warn("another logger");
            }
        });
        String after = stderrOf(() -> NETWORK_CLIENT.warn("after the check"));

        assertThat(during).doesNotContain("during the check").contains("WARN QuietClientLogsTest - another logger");
        assertThat(after).contains("WARN NetworkClient - after the check");
    }

    @Test
    void shouldChangeNothingWhenNotQuiet() {
        String out = stderrOf(() -> {
            try (QuietClientLogs quiet = QuietClientLogs.of(List.of("org.apache.kafka.clients.NetworkClient"), false)) {
                NETWORK_CLIENT.warn("verbose");
            }
        });

        assertThat(out).contains("WARN NetworkClient - verbose");
    }
}
