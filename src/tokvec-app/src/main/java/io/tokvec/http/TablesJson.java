package io.tokvec.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.model.TableRegistry;
import io.tokvec.model.TableRejectedException;

/**
 * The {@code /tables} document:
 *
 * <pre>{@code
 * {"table": "glove", "active_version": 2, "rows": 13, "dim": 8, "swaps": 2,
 *  "versions": [{"version": 1, "status": "committed"}, {"version": 2, "status": "active"}],
 *  "rejected_total": 1, "rejected_by_reason": {"UNSIGNED": 1},
 *  "last_rejections": [{"version": 3, "reason": "UNSIGNED", "message": "...", "time_ms": 1764680000000}]}
 * }</pre>
 */
final class TablesJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private TablesJson() {
    }

    static String of(TableRegistry registry) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("table", registry.table());
        EmbeddingTable active = registry.active();
        n.put("active_version", active == null ? -1 : active.version());
        if (active != null) {
            n.put("rows", active.rows());
            n.put("dim", active.dim());
        }
        n.put("swaps", registry.swapCount());
        ArrayNode versions = n.putArray("versions");
        registry.describeVersions().forEach((v, status) -> versions.addObject().put("version", v).put("status", status));
        n.put("rejected_total", registry.rejectedCount());
        ObjectNode byReason = n.putObject("rejected_by_reason");
        for (TableRejectedException.Reason r : TableRejectedException.Reason.values()) {
            long c = registry.rejectedCount(r);
            if (c > 0) {
                byReason.put(r.name(), c);
            }
        }
        ArrayNode last = n.putArray("last_rejections");
        for (TableRegistry.Rejection r : registry.recentRejections()) {
            ObjectNode o = last.addObject();
            o.put("version", r.version());
            o.put("reason", r.reason().name());
            o.put("message", r.message());
            o.put("time_ms", r.timeMs());
        }
        return write(n);
    }

    static String write(ObjectNode n) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
