package io.tokvec.devkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A small Confluent-compatible schema registry for local use on 127.0.0.1 ({@code tokvec broker
 * --registry-port}): enough of the REST API for Confluent-format serdes in any language
 * ({@code POST /subjects/{s}/versions}, {@code POST /subjects/{s}}, {@code GET /schemas/ids/{id}},
 * {@code GET /subjects}, {@code GET /subjects/{s}/versions}, {@code GET /subjects/{s}/versions/latest}).
 * Avro only, no compatibility checks. Optionally over TLS ({@code https}, with a key store) and with HTTP Basic
 * authentication (a fixed set of accounts; a request without valid credentials gets 401). Schemas are kept in a
 * JSON-lines file so that ids survive restarts, as records on the broker refer to them. For production use a real
 * registry.
 */
public final class LocalSchemaRegistryServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalSchemaRegistryServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final Pattern VERSIONS = Pattern.compile("^/subjects/([^/]+)/versions/?$");
    private static final Pattern VERSION = Pattern.compile("^/subjects/([^/]+)/versions/([^/]+)$");
    private static final Pattern SUBJECT = Pattern.compile("^/subjects/([^/]+)/?$");
    private static final Pattern BY_ID = Pattern.compile("^/schemas/ids/(-?\\d+)$");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "tokvec-schema-registry");
        t.setDaemon(true);
        return t;
    });
    private final Path store;
    private final Map<String, String> users; // null: no authentication
    private final Map<String, Integer> idBySchema = new LinkedHashMap<>();
    private final Map<Integer, String> schemaById = new LinkedHashMap<>();
    private final Map<String, List<Integer>> versionsBySubject = new LinkedHashMap<>();

    /**
     * @param port  0 for any free port
     * @param store file keeping the registered schemas (created if missing), or null for memory only
     */
    public LocalSchemaRegistryServer(int port, Path store) throws IOException {
        this(port, store, null, null, List.of());
    }

    /**
     * As {@link #LocalSchemaRegistryServer(int, Path)}, with {@code filters} run before every request
     * (tests use them to see the requests and to answer some themselves: failures, authentication).
     */
    public LocalSchemaRegistryServer(int port, Path store, List<Filter> filters) throws IOException {
        this(port, store, null, null, filters);
    }

    /**
     * @param port    0 for any free port
     * @param store   file keeping the registered schemas (created if missing), or null for memory only
     * @param tls     serves {@code https} with this context (see {@link #tlsContext}), or null for {@code http}
     * @param users   HTTP Basic accounts (name to password) every request must name, or null for no authentication
     * @param filters run before every request
     */
    public LocalSchemaRegistryServer(int port, Path store, SSLContext tls, Map<String, String> users, List<Filter> filters)
            throws IOException {
        this.store = store;
        this.users = users == null ? null : Map.copyOf(users);
        if (store != null && Files.exists(store)) {
            for (String line : Files.readAllLines(store, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                JsonNode n = JSON.readTree(line);
                apply(n.get("subject").asText(), n.get("schema").asText(), n.get("id").asInt());
            }
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        if (tls != null) {
            HttpsServer https = HttpsServer.create(address, 0);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = https;
        } else {
            server = HttpServer.create(address, 0);
        }
        server.setExecutor(executor);
        HttpContext context = server.createContext("/", this::handle);
        context.getFilters().addAll(filters);
        server.start();
        log.info("schema registry listening on {} ({} schemas{}{})", url(), schemaById.size(),
                store == null ? ", in memory" : ", kept in " + store, users == null ? "" : ", basic auth");
    }

    public String url() {
        return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + server.getAddress().getPort();
    }

    /** A server-side TLS context from a key store holding the server's key and certificate chain. */
    public static SSLContext tlsContext(Path keystore, String password, String type) throws IOException {
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore ks = KeyStore.getInstance(type);
            ks.load(in, password.toCharArray());
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password.toCharArray());
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use the key store " + keystore + ": " + e.getMessage(), e);
        }
    }

    /** True when the request names one of the accounts with its password (compared in constant time). */
    private boolean authorized(HttpExchange ex) {
        if (users == null) {
            return true;
        }
        String header = ex.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        String expected = colon < 0 ? null : users.get(decoded.substring(0, colon));
        return expected != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8));
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void apply(String subject, String schema, int id) {
        idBySchema.put(schema, id);
        schemaById.put(id, schema);
        List<Integer> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        if (!versions.contains(id)) versions.add(id);
    }

    private synchronized int register(String subject, String schemaText) throws IOException {
        String canonical = new Schema.Parser().parse(schemaText).toString();
        Integer id = idBySchema.get(canonical);
        boolean known = id != null && versionsBySubject.getOrDefault(subject, List.of()).contains(id);
        if (id == null) {
            id = schemaById.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        }
        if (!known) {
            apply(subject, canonical, id);
            if (store != null) {
                ObjectNode line = JSON.createObjectNode().put("subject", subject).put("id", id).put("schema", canonical);
                Files.writeString(store, JSON.writeValueAsString(line) + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        }
        return id;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!authorized(ex)) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"tokvec schema registry\"");
                error(ex, 401, 40101, "Unauthorized: this registry needs HTTP Basic credentials of one of its accounts");
                return;
            }
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            Matcher m;
            if (method.equals("POST") && (m = VERSIONS.matcher(path)).matches()) {
                String schema = JSON.readTree(ex.getRequestBody()).path("schema").asText(null);
                if (schema == null) {
                    error(ex, 422, 42201, "request has no schema");
                    return;
                }
                try {
                    reply(ex, 200, JSON.createObjectNode().put("id", register(decode(m.group(1)), schema)));
                } catch (RuntimeException e) {
                    error(ex, 422, 42201, "invalid Avro schema: " + e.getMessage());
                }
            } else if (method.equals("POST") && (m = SUBJECT.matcher(path)).matches()) {
                String subject = decode(m.group(1));
                String schema = JSON.readTree(ex.getRequestBody()).path("schema").asText("");
                synchronized (this) {
                    Integer id;
                    try {
                        id = idBySchema.get(new Schema.Parser().parse(schema).toString());
                    } catch (RuntimeException e) {
                        error(ex, 422, 42201, "invalid Avro schema: " + e.getMessage());
                        return;
                    }
                    List<Integer> versions = versionsBySubject.get(subject);
                    if (versions == null) {
                        error(ex, 404, 40401, "Subject '" + subject + "' not found.");
                    } else if (id == null || !versions.contains(id)) {
                        error(ex, 404, 40403, "Schema not found");
                    } else {
                        reply(ex, 200, JSON.createObjectNode().put("subject", subject).put("id", id)
                                .put("version", versions.indexOf(id) + 1).put("schema", schemaById.get(id)));
                    }
                }
            } else if (method.equals("GET") && (m = BY_ID.matcher(path)).matches()) {
                String schema;
                synchronized (this) {
                    schema = schemaById.get(Integer.parseInt(m.group(1)));
                }
                if (schema == null) error(ex, 404, 40403, "Schema " + m.group(1) + " not found");
                else reply(ex, 200, JSON.createObjectNode().put("schema", schema));
            } else if (method.equals("GET") && path.equals("/subjects")) {
                synchronized (this) {
                    reply(ex, 200, JSON.valueToTree(new ArrayList<>(versionsBySubject.keySet())));
                }
            } else if (method.equals("GET") && (m = VERSIONS.matcher(path)).matches()) {
                synchronized (this) {
                    List<Integer> v = versionsBySubject.get(decode(m.group(1)));
                    if (v == null) error(ex, 404, 40401, "Subject not found.");
                    else {
                        List<Integer> numbers = new ArrayList<>();
                        for (int i = 1; i <= v.size(); i++) numbers.add(i);
                        reply(ex, 200, JSON.valueToTree(numbers));
                    }
                }
            } else if (method.equals("GET") && (m = VERSION.matcher(path)).matches()) {
                String subject = decode(m.group(1));
                synchronized (this) {
                    List<Integer> v = versionsBySubject.get(subject);
                    int index = v == null ? -1 : m.group(2).equals("latest") ? v.size() - 1 : parseOr(m.group(2)) - 1;
                    if (v == null || index < 0 || index >= v.size()) {
                        error(ex, 404, 40402, "Version not found.");
                    } else {
                        int id = v.get(index);
                        reply(ex, 200, JSON.createObjectNode().put("subject", subject).put("version", index + 1)
                                .put("id", id).put("schema", schemaById.get(id)));
                    }
                }
            } else {
                error(ex, 404, 404, "Not found: " + method + " " + path);
            }
        } catch (RuntimeException e) {
            log.warn("schema registry request failed", e);
        }
    }

    private static int parseOr(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static void error(HttpExchange ex, int status, int code, String message) throws IOException {
        reply(ex, status, JSON.createObjectNode().put("error_code", code).put("message", message));
    }

    private static void reply(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

}
