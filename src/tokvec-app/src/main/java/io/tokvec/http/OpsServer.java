package io.tokvec.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tokvec.model.RegistrySnapshot;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operations endpoint ({@code tokvec.http.port}), on the JDK's {@link HttpServer}, GET only:
 *
 * <ul>
 *   <li>{@code /health/live}: 200 unless Kafka Streams is in ERROR (or on its way there) or a thread of it
 *       died, then 503 with the reason;
 *   <li>{@code /health/ready}: 200 when Kafka Streams is RUNNING and a table version is active, else
 *       503; both answer a JSON object with the state, the active version and, when not ready, the reason;
 *   <li>{@code /metrics}: Prometheus text format ({@link MetricsExport});
 *   <li>{@code /tables}: JSON with the active version, the retained versions and the last rejections
 *       ({@link TablesJson}).
 * </ul>
 *
 * Requests are answered by one small thread of its own, never by a stream thread; what they say of
 * the table comes from the registry's published {@link RegistrySnapshot}, so no request waits for a
 * build.
 */
public final class OpsServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OpsServer.class);
    static final String JSON = "application/json; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;

    /**
     * Binds {@code bind:port} (port 0: a free one) and starts serving.
     *
     * @param state   the application's current Kafka Streams state
     * @param tables  the table registry's latest snapshot
     * @param failure why the application failed, or null while it has not
     */
    public OpsServer(String bind, int port, Supplier<KafkaStreams.State> state, Supplier<RegistrySnapshot> tables,
                     Supplier<String> failure, MetricsExport metrics) {
        try {
            server = HttpServer.create(new InetSocketAddress(bind, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the operations endpoint to " + bind + ":" + port + ": " + e.getMessage(), e);
        }
        Health health = new Health(state, tables, failure);
        server.createContext("/health/live", ex -> answer(ex, () -> health.live()));
        server.createContext("/health/ready", ex -> answer(ex, () -> health.ready()));
        server.createContext("/metrics", ex -> answer(ex, () -> new Response(200, MetricsExport.CONTENT_TYPE, metrics.scrape())));
        server.createContext("/tables", ex -> answer(ex, () -> new Response(200, JSON, TablesJson.of(tables.get()))));
        server.createContext("/", ex -> answer(ex, () -> new Response(404, JSON,
                "{\"error\":\"not found\",\"paths\":[\"/health/live\",\"/health/ready\",\"/metrics\",\"/tables\"]}\n")));
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tokvec-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        log.info("operations endpoint on http://{}:{}/ (/health/live, /health/ready, /metrics, /tables)", bind, port());
    }

    /** The bound port (the chosen one when 0 was asked for). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** One answer: status, content type, body. */
    record Response(int status, String contentType, String body) {
    }

    private static void answer(HttpExchange ex, Supplier<Response> handler) throws IOException {
        try (ex) {
            Response r;
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                r = new Response(405, JSON, "{\"error\":\"method " + ex.getRequestMethod() + " not allowed: GET only\"}\n");
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
            } else {
                try {
                    r = handler.get();
                } catch (RuntimeException e) {
                    log.warn("operations endpoint: {} failed", ex.getRequestURI(), e);
                    r = new Response(500, JSON, TablesJson.write(TablesJson.MAPPER.createObjectNode().put("error", String.valueOf(e))));
                }
            }
            byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", r.contentType());
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            boolean head = "HEAD".equals(ex.getRequestMethod());
            ex.sendResponseHeaders(r.status(), head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    /** Stops at once (answers in flight get up to one second). */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
    }
}
