package io.tokvec.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokvec.model.TableRegistry;
import org.apache.kafka.streams.KafkaStreams;

import java.util.function.Supplier;

/** The two health checks: live (the process is worth keeping) and ready (it enriches events). */
final class Health {

    private final Supplier<KafkaStreams.State> state;
    private final TableRegistry registry;

    Health(Supplier<KafkaStreams.State> state, TableRegistry registry) {
        this.state = state;
        this.registry = registry;
    }

    /** 503 only in ERROR or PENDING_ERROR: all stream threads died, a restart is what helps. */
    OpsServer.Response live() {
        KafkaStreams.State s = state.get();
        boolean dead = s == KafkaStreams.State.ERROR || s == KafkaStreams.State.PENDING_ERROR;
        ObjectNode body = body(dead ? "DOWN" : "UP", s);
        if (dead) {
            body.put("reason", "Kafka Streams is " + s + ": its stream threads have stopped");
        }
        return new OpsServer.Response(dead ? 503 : 200, OpsServer.JSON, TablesJson.write(body));
    }

    /** 200 when RUNNING with an active table, else 503 with the reason. */
    OpsServer.Response ready() {
        KafkaStreams.State s = state.get();
        String reason = null;
        if (s != KafkaStreams.State.RUNNING) {
            reason = "Kafka Streams is " + s + ", not RUNNING";
        } else if (registry.active() == null) {
            reason = "no version of table '" + registry.table() + "' is active yet (events would be dead-lettered as NO_TABLE)";
        }
        ObjectNode body = body(reason == null ? "UP" : "DOWN", s);
        if (reason != null) {
            body.put("reason", reason);
        }
        return new OpsServer.Response(reason == null ? 200 : 503, OpsServer.JSON, TablesJson.write(body));
    }

    private ObjectNode body(String status, KafkaStreams.State s) {
        ObjectNode n = TablesJson.MAPPER.createObjectNode();
        n.put("status", status);
        n.put("state", String.valueOf(s));
        n.put("table", registry.table());
        n.put("active_version", registry.activeVersion());
        return n;
    }
}
