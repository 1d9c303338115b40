package io.tokvec.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SchemaRegistryClient} speaking Confluent's REST API (also served by Redpanda, Karapace
 * and Apicurio's compatibility API) over {@link java.net.http.HttpClient}, HTTP/1.1:
 *
 * <ul>
 *   <li>register: {@code POST /subjects/{subject}/versions} with {@code {"schema": "<json>"}} and
 *       {@code Content-Type: application/vnd.schemaregistry.v1+json}, answer {@code {"id": N}};
 *   <li>look up without registering: {@code POST /subjects/{subject}}, answer {@code {"id": N, ...}};
 *   <li>fetch by id: {@code GET /schemas/ids/{id}}, answer {@code {"schema": "..."}} with
 *       {@code schemaType} absent or {@code AVRO}.
 * </ul>
 *
 * <p>Redirects are not followed (a 3xx is an error naming the target). Several base URLs are
 * tried in turn: a network error, timeout or HTTP 5xx moves on to the next one, and the client
 * keeps using the URL that last worked. Errors are read from Confluent's body
 * {@code {"error_code": 40403, "message": "..."}}. A 404 with a {@code 404xx} error code becomes an
 * {@link UnknownSchemaException}; a 404 without a registry error body does not (it usually means the
 * URL does not point at a schema registry) and is a plain {@link SchemaRegistryException}.
 *
 * <p>Answers are cached for the life of the client (ids are immutable in a schema registry); failures
 * are not. Thread-safe. {@link #close()} is a no-op (Java 17's {@code HttpClient} has no close).
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {

    /** The content type of requests with a body, as Confluent's clients send it. */
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private static final String ACCEPT =
            "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9,"
                    + " application/json; qs=0.5";
    private static final Logger LOG = LoggerFactory.getLogger(HttpSchemaRegistryClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<URI> baseUrls;
    private final String authorization;
    private final Duration timeout;
    private final HttpClient http;
    private final AtomicInteger current = new AtomicInteger();

    private final IoCache<SubjectSchema, Integer> registered = new IoCache<>();
    private final IoCache<SubjectSchema, Integer> lookedUp = new IoCache<>();
    private final IoCache<Integer, Schema> byId = new IoCache<>();

    private record SubjectSchema(String subject, Schema schema) {
    }

    /**
     * @param baseUrls registry base URLs ({@code http} or {@code https}, without credentials), tried
     *     in turn
     * @param basicAuthUserInfo {@code user:password} for HTTP Basic authentication, or null for none
     * @param timeout connect and request timeout
     * @param sslContext for {@code https} URLs, or null for the JVM default
     */
    public HttpSchemaRegistryClient(List<URI> baseUrls, String basicAuthUserInfo, Duration timeout,
            SSLContext sslContext) {
        if (baseUrls.isEmpty()) {
            throw new IllegalArgumentException("at least one schema registry URL is required");
        }
        for (URI u : baseUrls) {
            if (!"http".equalsIgnoreCase(u.getScheme()) && !"https".equalsIgnoreCase(u.getScheme())) {
                throw new IllegalArgumentException("schema registry URL must be http(s)://…, got " + u);
            }
        }
        this.baseUrls = List.copyOf(baseUrls);
        this.authorization = basicAuthUserInfo == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString(basicAuthUserInfo.getBytes(StandardCharsets.UTF_8));
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (sslContext != null) {
            builder.sslContext(sslContext);
        }
        this.http = builder.build();
    }

    @Override
    public int register(String subject, Schema schema) throws IOException {
        SubjectSchema key = new SubjectSchema(subject, schema);
        return registered.get(key, () -> {
            JsonNode answer = send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema));
            int id = intField(answer, "id", "POST /subjects/" + subject + "/versions");
            byId.put(id, schema);
            lookedUp.put(key, id);
            LOG.info("Registered schema {} under subject '{}' as id {}", schema.getFullName(), subject, id);
            return id;
        });
    }

    @Override
    public int getId(String subject, Schema schema) throws IOException {
        SubjectSchema key = new SubjectSchema(subject, schema);
        Integer known = registered.getIfPresent(key);
        if (known != null) {
            return known;
        }
        return lookedUp.get(key, () -> {
            JsonNode answer;
            try {
                answer = send("POST", "/subjects/" + encode(subject), schemaBody(schema));
            } catch (SchemaRegistryException e) {
                throw isNotFound(e) ? new UnknownSchemaException("schema " + schema.getFullName()
                        + " is not registered under subject '" + subject + "': " + e.getMessage(),
                        e.status(), e.errorCode()) : e;
            }
            int id = intField(answer, "id", "POST /subjects/" + subject);
            byId.put(id, schema);
            return id;
        });
    }

    @Override
    public Schema getById(int id) throws IOException {
        return byId.get(id, () -> fetch(id));
    }

    /**
     * {@code GET /subjects}: succeeds when a registry answers at one of the URLs and accepts the
     * credentials (any JSON answer: the list of subjects, which is not kept). A quick way to find out
     * at startup whether the registry can be used at all.
     *
     * @throws SchemaRegistryException the registry answered with an error (e.g. HTTP 401)
     * @throws IOException no URL answered
     */
    public void ping() throws IOException {
        send("GET", "/subjects", null);
    }

    @Override
    public void close() {
        // Java 17's HttpClient has nothing to close; its selector thread ends with the client
    }

    @Override
    public String toString() {
        return "HttpSchemaRegistryClient" + baseUrls;
    }

    private Schema fetch(int id) throws IOException {
        String what = "GET /schemas/ids/" + id;
        JsonNode answer;
        try {
            answer = send("GET", "/schemas/ids/" + id, null);
        } catch (SchemaRegistryException e) {
            throw isNotFound(e) ? new UnknownSchemaException("schema id " + id + " not found: "
                    + e.getMessage(), e.status(), e.errorCode()) : e;
        }
        JsonNode type = answer.get("schemaType");
        if (type != null && !type.isNull() && !"AVRO".equalsIgnoreCase(type.asText())) {
            throw new UnknownSchemaException("schema id " + id + " is a " + type.asText()
                    + " schema, not Avro", 200, -1);
        }
        JsonNode refs = answer.get("references");
        if (refs != null && refs.isArray() && !refs.isEmpty()) {
            throw new UnknownSchemaException("schema id " + id
                    + " uses schema references, which this client does not support", 200, -1);
        }
        JsonNode text = answer.get("schema");
        if (text == null || !text.isTextual()) {
            throw new SchemaRegistryException("unexpected answer to " + what + ": no \"schema\" field", 200, -1);
        }
        try {
            return new Schema.Parser().setValidateDefaults(false).parse(text.asText());
        } catch (RuntimeException e) {
            throw new UnknownSchemaException("schema id " + id + " is not a valid Avro schema: "
                    + e.getMessage(), 200, -1);
        }
    }

    /** A 404 that the registry itself produced (it carries a Confluent 404xx error code). */
    private static boolean isNotFound(SchemaRegistryException e) {
        return e.status() == 404 && e.errorCode() >= 40400 && e.errorCode() < 40500;
    }

    private static String schemaBody(Schema schema) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("schema", schema.toString());
        return JSON.writeValueAsString(body);
    }

    private static String encode(String pathSegment) {
        return URLEncoder.encode(pathSegment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static int intField(JsonNode answer, String field, String what) throws SchemaRegistryException {
        JsonNode v = answer.get(field);
        if (v == null || !v.canConvertToInt()) {
            throw new SchemaRegistryException("unexpected answer to " + what + ": no integer \"" + field
                    + "\" field in " + abbreviate(answer.toString()), 200, -1);
        }
        return v.intValue();
    }

    /**
     * Sends a request to the current base URL, moving on to the next one after a network error,
     * timeout or 5xx, and returns the parsed JSON of a 2xx answer.
     */
    private JsonNode send(String method, String path, String body) throws IOException {
        int n = baseUrls.size();
        int start = Math.floorMod(current.get(), n);
        IOException last = null;
        for (int i = 0; i < n; i++) {
            int index = (start + i) % n;
            URI base = baseUrls.get(index);
            try {
                JsonNode answer = sendOnce(base, method, path, body);
                current.set(index);
                return answer;
            } catch (SchemaRegistryException e) {
                if (!e.isTransient()) {
                    throw e;
                }
                last = remember(last, e);
            } catch (IOException e) {
                if (e instanceof InterruptedIOException && Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                last = remember(last, isTlsFailure(e)
                        ? new IOException("schema registry " + base + ": TLS handshake failed for " + method + " " + path
                                + ": " + describe(e) + " (check schema.registry.ssl.truststore.location: it must trust the"
                                + " registry's certificate authority)", e)
                        : new IOException("schema registry " + base + " unreachable for " + method + " " + path + ": "
                                + describe(e), e));
            }
            if (i < n - 1) {
                LOG.warn("{}; trying the next schema registry URL", last.getMessage());
            }
        }
        throw last;
    }

    private static boolean isTlsFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }

    private static IOException remember(IOException previous, IOException e) {
        if (previous != null) {
            e.addSuppressed(previous);
        }
        return e;
    }

    private JsonNode sendOnce(URI base, String method, String path, String body) throws IOException {
        String baseText = base.toString().replaceFirst("/+$", "");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseText + path))
                .timeout(timeout)
                .header("Accept", ACCEPT);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (body == null) {
            request.GET();
        } else {
            request.header("Content-Type", CONTENT_TYPE)
                    .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException ie = new InterruptedIOException("interrupted during " + method + " " + path);
            ie.initCause(e);
            throw ie;
        }
        LOG.debug("{} {}{} -> HTTP {}", method, baseText, path, response.statusCode());
        return parse(base, method, path, response);
    }

    private static JsonNode parse(URI base, String method, String path, HttpResponse<String> response)
            throws SchemaRegistryException {
        int status = response.statusCode();
        JsonNode json;
        try {
            json = JSON.readTree(response.body());
        } catch (IOException e) {
            json = null;
        }
        if (status >= 200 && status < 300) {
            if (json == null || !(json.isObject() || json.isArray())) {
                throw new SchemaRegistryException("schema registry " + base + " answered " + method + " "
                        + path + " with something that is not a JSON object or array: "
                        + abbreviate(response.body()), status, -1);
            }
            return json;
        }
        JsonNode code = json == null ? null : json.get("error_code");
        int errorCode = code != null && code.canConvertToInt() ? code.intValue() : -1;
        JsonNode message = json == null ? null : json.get("message");
        String detail = message != null && message.isTextual() ? message.asText() : abbreviate(response.body());
        String hint = "";
        if (errorCode < 0 && status == 404) {
            hint = " (no schema-registry error body: does schema.registry.url point at a schema registry?)";
        } else if (status >= 300 && status < 400) {
            hint = " (redirected to " + response.headers().firstValue("Location").orElse("?")
                    + "; redirects are not followed: set schema.registry.url to the final URL)";
        }
        throw new SchemaRegistryException("schema registry " + base + " answered HTTP " + status
                + (errorCode >= 0 ? " (error " + errorCode + ")" : "") + " to " + method + " " + path
                + ": " + detail + hint, status, errorCode);
    }

    /** The exception and its causes in one line (java.net.http often leaves the message empty). */
    private static String describe(Throwable e) {
        StringBuilder out = new StringBuilder(e.toString());
        Throwable c = e.getCause();
        for (int depth = 0; c != null && depth < 5; depth++, c = c.getCause()) {
            out.append(" caused by ").append(c);
        }
        return out.toString();
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
