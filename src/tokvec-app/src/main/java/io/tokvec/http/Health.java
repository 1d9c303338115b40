package io.tokvec.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokvec.model.RegistrySnapshot;
import org.apache.kafka.streams.KafkaStreams;

import java.util.function.Supplier;

/**
 * The two health checks: live (the process is worth keeping) and ready (it enriches events). Both
 * read the registry's published {@link RegistrySnapshot}, never the registry itself, so they answer at
 * once even while a table version is being built.
 */
final class Health {

    private final Supplier<KafkaStreams.State> state;
    private final Supplier<RegistrySnapshot> tables;
    private final Supplier<String> failure;

    /**
     * @param failure why the application failed (a Kafka Streams thread died, e.g. the global thread), or null
     */
    Health(Supplier<KafkaStreams.State> state, Supplier<RegistrySnapshot> tables, Supplier<String> failure) {
        this.state = state;
        this.tables = tables;
        this.failure = failure;
    }

    /**
     * 503 in ERROR or PENDING_ERROR, or once a failure is known (the global thread died: the application
     * stops, {@code run} exits non-zero); a restart is what helps.
     */
    OpsServer.Response live() {
        KafkaStreams.State s = state.get();
        String failed = failure.get();
        boolean dead = s == KafkaStreams.State.ERROR || s == KafkaStreams.State.PENDING_ERROR || failed != null;
        ObjectNode body = body(dead ? "DOWN" : "UP", s);
        if (dead) {
            body.put("reason", failed != null ? failed : "Kafka Streams is " + s + ": its threads have stopped");
        }
        return new OpsServer.Response(dead ? 503 : 200, OpsServer.JSON, TablesJson.write(body));
    }

    /** 200 when RUNNING with an active table, else 503 with the reason. */
    OpsServer.Response ready() {
        KafkaStreams.State s = state.get();
        RegistrySnapshot t = tables.get();
        String reason = null;
        if (s != KafkaStreams.State.RUNNING) {
            reason = "Kafka Streams is " + s + ", not RUNNING";
        } else if (t.activeVersion() < 0) {
            reason = "no version of table '" + t.table() + "' is active yet (events would be dead-lettered as NO_TABLE)";
        }
        ObjectNode body = body(reason == null ? "UP" : "DOWN", s);
        if (reason != null) {
            body.put("reason", reason);
        }
        return new OpsServer.Response(reason == null ? 200 : 503, OpsServer.JSON, TablesJson.write(body));
    }

    private ObjectNode body(String status, KafkaStreams.State s) {
        RegistrySnapshot t = tables.get();
        ObjectNode n = TablesJson.MAPPER.createObjectNode();
        n.put("status", status);
        n.put("state", String.valueOf(s));
        n.put("table", t.table());
        n.put("active_version", t.activeVersion());
        return n;
    }
}
