package io.tokvec.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal Confluent-compatible schema registry over HTTP on 127.0.0.1, for integration tests in
 * which a child process and the test JVM must agree on schema ids (a {@code mock://} scope lives in
 * one JVM only). It speaks what {@code HttpSchemaRegistryClient} uses:
 * <ul>
 *   <li>{@code POST /subjects/{subject}/versions} with {@code {"schema": "..."}}: {@code {"id": N}};
 *       the same schema text always gets the same id, under every subject;</li>
 *   <li>{@code POST /subjects/{subject}}: look-up without registering ({@code 40401} / {@code 40403}
 *       when the subject or schema is unknown);</li>
 *   <li>{@code GET /schemas/ids/{id}}: {@code {"schema": "..."}}, or {@code 40403}.</li>
 * </ul>
 * No compatibility checks, no authentication.
 */
public final class TestSchemaRegistryServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final Pattern REGISTER = Pattern.compile("^/subjects/([^/]+)/versions/?$");
    private static final Pattern LOOKUP = Pattern.compile("^/subjects/([^/]+)/?$");
    private static final Pattern BY_ID = Pattern.compile("^/schemas/ids/(-?\\d+)/?$");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "test-schema-registry");
        t.setDaemon(true);
        return t;
    });

    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private final Map<Integer, String> schemasById = new HashMap<>();
    private final Map<String, Set<Integer>> subjects = new HashMap<>();
    private final AtomicInteger requests = new AtomicInteger();

    private boolean closed;

    public TestSchemaRegistryServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** {@code http://127.0.0.1:<port>}: the value of {@code schema.registry.url}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** How many requests were answered (any kind). */
    public int requestCount() {
        return requests.get();
    }

    /** The subjects registered so far. */
    public synchronized Set<String> subjects() {
        return Set.copyOf(subjects.keySet());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            requests.incrementAndGet();
            try {
                route(exchange);
            } catch (RuntimeException e) {
                error(exchange, 500, 50001, "test registry failed: " + e);
            }
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        Matcher m;
        if (method.equals("POST") && (m = REGISTER.matcher(path)).matches()) {
            String schema = schemaFromBody(exchange);
            if (schema != null) {
                register(exchange, decode(m.group(1)), schema);
            }
        } else if (method.equals("POST") && (m = LOOKUP.matcher(path)).matches()) {
            String schema = schemaFromBody(exchange);
            if (schema != null) {
                lookup(exchange, decode(m.group(1)), schema);
            }
        } else if (method.equals("GET") && (m = BY_ID.matcher(path)).matches()) {
            fetch(exchange, Integer.parseInt(m.group(1)));
        } else {
            error(exchange, 404, 404, "HTTP 404 Not Found");
        }
    }

    private static String schemaFromBody(HttpExchange exchange) throws IOException {
        JsonNode body;
        try {
            body = JSON.readTree(exchange.getRequestBody());
        } catch (IOException e) {
            error(exchange, 422, 42201, "Invalid JSON body");
            return null;
        }
        JsonNode schema = body == null ? null : body.get("schema");
        if (schema == null || !schema.isTextual()) {
            error(exchange, 422, 42201, "Invalid schema");
            return null;
        }
        return schema.asText();
    }

    private void register(HttpExchange exchange, String subject, String schema) throws IOException {
        int id;
        synchronized (this) {
            id = idsBySchema.computeIfAbsent(schema, s -> idsBySchema.size() + 1);
            schemasById.put(id, schema);
            subjects.computeIfAbsent(subject, s -> new HashSet<>()).add(id);
        }
        send(exchange, 200, JSON.createObjectNode().put("id", id).toString());
    }

    private void lookup(HttpExchange exchange, String subject, String schema) throws IOException {
        Integer id;
        boolean subjectKnown;
        synchronized (this) {
            subjectKnown = subjects.containsKey(subject);
            id = idsBySchema.get(schema);
            if (id != null && (!subjectKnown || !subjects.get(subject).contains(id))) {
                id = null;
            }
        }
        if (!subjectKnown) {
            error(exchange, 404, 40401, "Subject '" + subject + "' not found.");
        } else if (id == null) {
            error(exchange, 404, 40403, "Schema not found");
        } else {
            ObjectNode answer = JSON.createObjectNode().put("subject", subject).put("version", 1).put("id", id)
                    .put("schema", schema);
            send(exchange, 200, answer.toString());
        }
    }

    private void fetch(HttpExchange exchange, int id) throws IOException {
        String schema;
        synchronized (this) {
            schema = schemasById.get(id);
        }
        if (schema == null) {
            error(exchange, 404, 40403, "Schema " + id + " not found");
            return;
        }
        send(exchange, 200, JSON.createObjectNode().put("schema", schema).toString());
    }

    private static void error(HttpExchange exchange, int status, int code, String message) throws IOException {
        send(exchange, status, JSON.createObjectNode().put("error_code", code).put("message", message).toString());
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String decode(String segment) {
        return URLDecoder.decode(segment, StandardCharsets.UTF_8);
    }
}
