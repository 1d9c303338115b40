package io.tokvec.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokvec.model.TableRegistry;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** Liveness and readiness for each Kafka Streams state (a live table comes from the registry). */
class HealthTest {

    private final AtomicReference<State> state = new AtomicReference<>(State.CREATED);
    private final TableRegistry registry = new TableRegistry("emb", -1, 2, Long.MAX_VALUE, false, (b, o, l) -> {
        throw new UnsupportedOperationException("no records in this test");
    });
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final Health health = new Health(state::get, registry::snapshot, failure::get);

    private static JsonNode body(OpsServer.Response r) throws Exception {
        return TablesJson.MAPPER.readTree(r.body());
    }

    @Test
    void shouldBeLiveUnlessTheStreamThreadsDiedWhenAskedInEachState() throws Exception {
        for (State s : State.values()) {
            state.set(s);
            boolean dead = s == State.ERROR || s == State.PENDING_ERROR;
            OpsServer.Response r = health.live();
            assertThat(r.status()).as("live in %s", s).isEqualTo(dead ? 503 : 200);
            assertThat(body(r).get("status").asText()).isEqualTo(dead ? "DOWN" : "UP");
            assertThat(body(r).get("state").asText()).isEqualTo(s.name());
        }
    }

    @Test
    void shouldNotBeLiveWithTheReasonOnceTheApplicationFailedWhileKafkaStreamsStillRuns() throws Exception {
        state.set(State.RUNNING);
        failure.set("the global thread (model topic m) failed: boom");
        OpsServer.Response r = health.live();
        assertThat(r.status()).isEqualTo(503);
        assertThat(body(r).get("status").asText()).isEqualTo("DOWN");
        assertThat(body(r).get("reason").asText()).isEqualTo("the global thread (model topic m) failed: boom");
    }

    @Test
    void shouldNotBeReadyWhenNotRunningOrWithoutAnActiveTable() throws Exception {
        state.set(State.REBALANCING);
        OpsServer.Response rebalancing = health.ready();
        assertThat(rebalancing.status()).isEqualTo(503);
        assertThat(body(rebalancing).get("reason").asText()).isEqualTo("Kafka Streams is REBALANCING, not RUNNING");

        state.set(State.RUNNING);
        OpsServer.Response noTable = health.ready();
        assertThat(noTable.status()).isEqualTo(503);
        assertThat(body(noTable).get("reason").asText()).contains("no version of table 'emb' is active yet");
        assertThat(body(noTable).get("active_version").asLong()).isEqualTo(-1);
    }
}
