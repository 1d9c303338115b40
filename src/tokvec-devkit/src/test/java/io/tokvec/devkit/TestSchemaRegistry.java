package io.tokvec.devkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The test kit's schema registry: the devkit's {@link LocalSchemaRegistryServer} (what
 * {@code tokvec broker} serves) on a free loopback port, as a JUnit 5 extension. A static
 * {@code @RegisterExtension} field gives one registry per test class (for applications in child
 * processes, which a {@code mock://} scope cannot reach), an instance field one per test.
 *
 * <p>A filter in front of the server records what it was asked (register requests by subject,
 * Authorization and Content-Type headers, fetches by id) and injects what a test asks for: HTTP
 * failures, a URL that is not a registry, required Basic credentials, a schema of another type.
 * Schemas are kept in a file, so that {@link #stop()} then {@link #restart()} is an outage after
 * which the same ids are served on the same port.
 */
public final class TestSchemaRegistry implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback,
        AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REGISTER = Pattern.compile("^/subjects/([^/]+)/versions/?$");
    private static final Pattern BY_ID = Pattern.compile("^/schemas/ids/-?\\d+$");
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private final List<String> registrations = Collections.synchronizedList(new ArrayList<>());
    private final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());
    private final List<String> contentTypes = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger fetches = new AtomicInteger();
    private volatile String expectedAuthorization;
    private volatile int failWith;
    private volatile boolean notARegistry;
    private volatile String otherType;
    private volatile String otherSchema;

    private Path dir;
    private LocalSchemaRegistryServer server;
    private int port;
    private boolean perClass;

    /** Starts the registry now (for a test that manages it itself; {@link #close()} stops it). */
    public TestSchemaRegistry start() throws IOException {
        dir = Files.createTempDirectory("tokvec-registry-");
        server = new LocalSchemaRegistryServer(0, dir.resolve("schemas.jsonl"), List.of(new Recorder()));
        port = server.port();
        return this;
    }

    /** The registry's base URL, what {@code schema.registry.url} takes. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Stops the server (an outage): the port refuses connections until {@link #restart()}. */
    public void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** Starts the server again on the same port, serving the schemas registered before. */
    public void restart() throws IOException {
        stop();
        server = new LocalSchemaRegistryServer(port, dir.resolve("schemas.jsonl"), List.of(new Recorder()));
    }

    /** Subjects of every register request the server handled, in order. */
    public List<String> registrations() {
        return List.copyOf(registrations);
    }

    /** Authorization header of every request (null when absent). */
    public List<String> authorizations() {
        return new ArrayList<>(authorizations);
    }

    /** Content-Type of every request with a body. */
    public List<String> contentTypes() {
        return new ArrayList<>(contentTypes);
    }

    /** Requests for a schema by id. */
    public int fetches() {
        return fetches.get();
    }

    /** From now on, requests without these Basic credentials get Confluent's 401 (error code 40101). */
    public void requireBasicAuth(String user, String password) {
        expectedAuthorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** When non-zero, every request is answered with this status and a Confluent error body; 0 ends it. */
    public void failWith(int status) {
        failWith = status;
    }

    /** When true, every request gets a bare 404 page, as from a server that is not a schema registry. */
    public void notARegistry(boolean on) {
        notARegistry = on;
    }

    /** Every schema fetched by id is answered as {@code schema} of type {@code schemaType} (e.g. PROTOBUF). */
    public void serveByIdAs(String schemaType, String schema) {
        otherType = schemaType;
        otherSchema = schema;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        perClass = true;
        start();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        if (!perClass) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            close();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    /** Stops the server and deletes its schema file. */
    @Override
    public void close() {
        stop();
        if (dir != null) {
            try {
                Files.deleteIfExists(dir.resolve("schemas.jsonl"));
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            dir = null;
        }
    }

    /** Records each request and answers those the test decided to fail; the server handles the rest. */
    private final class Recorder extends Filter {

        @Override
        public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            authorizations.add(auth);
            if (notARegistry) {
                send(exchange, 404, "text/html", "<html>Not Found</html>");
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
            if (method.equals("POST")) {
                contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
                Matcher m = REGISTER.matcher(path);
                if (m.matches()) {
                    registrations.add(URLDecoder.decode(m.group(1), StandardCharsets.UTF_8));
                }
            } else if (method.equals("GET") && BY_ID.matcher(path).matches()) {
                fetches.incrementAndGet();
                if (otherType != null) {
                    send(exchange, 200, CONTENT_TYPE, JSON.createObjectNode().put("schema", otherSchema)
                            .put("schemaType", otherType).toString());
                    return;
                }
            }
            chain.doFilter(exchange);
        }

        @Override
        public String description() {
            return "records requests and injects the test's failures";
        }

        private void error(HttpExchange exchange, int status, int code, String message) throws IOException {
            send(exchange, status, CONTENT_TYPE, JSON.createObjectNode().put("error_code", code).put("message", message).toString());
        }

        private void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
            try (exchange) {
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", contentType);
                exchange.sendResponseHeaders(status, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }
}
