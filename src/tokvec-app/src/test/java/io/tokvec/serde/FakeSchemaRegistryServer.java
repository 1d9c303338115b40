package io.tokvec.serde;

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
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny Confluent-compatible schema registry on 127.0.0.1 for tests: register, look up and fetch
 * by id, with Confluent's error bodies. It checks the Content-Type of requests with a body and, when
 * {@link #requireBasicAuth} was called, the Basic auth header; it records what it was asked.
 */
public final class FakeSchemaRegistryServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REGISTER = Pattern.compile("^/subjects/([^/]+)/versions$");
    private static final Pattern LOOKUP = Pattern.compile("^/subjects/([^/]+)$");
    private static final Pattern BY_ID = Pattern.compile("^/schemas/ids/(-?\\d+)$");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private final Map<Integer, String> schemasById = new HashMap<>();
    private final Map<String, Set<Integer>> subjects = new HashMap<>();

    /** Subjects of every register request, in order. */
    final List<String> registrations = Collections.synchronizedList(new ArrayList<>());
    /** Authorization header of every request (null when absent). */
    final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());
    /** Content-Type of every request with a body. */
    final List<String> contentTypes = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger fetches = new AtomicInteger();

    private volatile String expectedAuthorization;
    /** When non-zero, every request is answered with this status and a Confluent error body. */
    public volatile int failWith;
    /** When true, every request gets a bare 404 without a registry error body. */
    public volatile boolean notARegistry;
    /** The schemaType to report for fetched schemas (null: field absent). */
    volatile String schemaType;

    public FakeSchemaRegistryServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void requireBasicAuth(String user, String password) {
        expectedAuthorization = "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private boolean closed;

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
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            authorizations.add(auth);
            if (notARegistry) {
                send(exchange, 404, "<html>Not Found</html>");
                return;
            }
            if (failWith != 0) {
                error(exchange, failWith, failWith * 100 + 1, "simulated failure");
                return;
            }
            if (expectedAuthorization != null && !expectedAuthorization.equals(auth)) {
                error(exchange, 401, 40101, "Unauthorized");
                return;
            }
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
            } else if (method.equals("GET") && path.equals("/subjects")) {
                synchronized (this) {
                    send(exchange, 200, JSON.valueToTree(subjects.keySet()).toString());
                }
            } else {
                error(exchange, 404, 404, "HTTP 404 Not Found");
            }
        }
    }

    private String schemaFromBody(HttpExchange exchange) throws IOException {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        contentTypes.add(contentType);
        if (contentType == null || !contentType.startsWith("application/vnd.schemaregistry.v1+json")) {
            error(exchange, 415, 415, "HTTP 415 Unsupported Media Type");
            return null;
        }
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual()) {
            error(exchange, 422, 42201, "Invalid schema");
            return null;
        }
        return schema.asText();
    }

    private void register(HttpExchange exchange, String subject, String schema) throws IOException {
        registrations.add(subject);
        int id;
        synchronized (this) {
            id = idsBySchema.computeIfAbsent(schema, s -> idsBySchema.size() + 1);
            schemasById.put(id, schema);
            subjects.computeIfAbsent(subject, s -> new HashSet<>()).add(id);
        }
        ObjectNode answer = JSON.createObjectNode().put("id", id);
        send(exchange, 200, answer.toString());
    }

    private void lookup(HttpExchange exchange, String subject, String schema) throws IOException {
        Integer id;
        boolean subjectKnown;
        synchronized (this) {
            id = idsBySchema.get(schema);
            subjectKnown = subjects.containsKey(subject);
            if (id != null && (!subjectKnown || !subjects.get(subject).contains(id))) {
                id = null;
            }
        }
        if (!subjectKnown) {
            error(exchange, 404, 40401, "Subject '" + subject + "' not found.");
        } else if (id == null) {
            error(exchange, 404, 40403, "Schema not found");
        } else {
            send(exchange, 200, JSON.createObjectNode().put("subject", subject).put("version", 1)
                    .put("id", id).put("schema", schema).toString());
        }
    }

    private void fetch(HttpExchange exchange, int id) throws IOException {
        fetches.incrementAndGet();
        String schema;
        synchronized (this) {
            schema = schemasById.get(id);
        }
        if (schema == null) {
            error(exchange, 404, 40403, "Schema " + id + " not found");
            return;
        }
        ObjectNode answer = JSON.createObjectNode().put("schema", schema);
        if (schemaType != null) {
            answer.put("schemaType", schemaType);
        }
        send(exchange, 200, answer.toString());
    }

    private static void error(HttpExchange exchange, int status, int code, String message) throws IOException {
        send(exchange, status, JSON.createObjectNode().put("error_code", code).put("message", message).toString());
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String decode(String segment) {
        return URLDecoder.decode(segment, StandardCharsets.UTF_8);
    }
}
