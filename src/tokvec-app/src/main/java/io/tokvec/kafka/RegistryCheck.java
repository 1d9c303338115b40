package io.tokvec.kafka;

import io.tokvec.serde.HttpSchemaRegistryClient;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.serde.SchemaRegistryException;
import org.apache.kafka.common.config.ConfigException;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Does the schema registry of {@code schema.registry.url} answer, and accept the credentials?
 * {@code GET /subjects} until it answers or the timeout passes (a registry that is still starting is
 * waited for); an answer that retrying cannot change (HTTP 401/403, a 404 from something that is not
 * a registry, a failed TLS handshake) ends the check at once. {@code mock://} registries live in the
 * JVM and are not checked.
 */
public final class RegistryCheck {

    private static final long RETRY_PAUSE_MS = 200;
    /** The TCP attempt that explains a registry that did not answer. */
    private static final int TCP_PROBE_MS = 1000;

    private RegistryCheck() {
    }

    /**
     * @throws StartupCheckException naming {@code schema.registry.url} and what failed
     * @throws ConfigException when the registry settings are invalid
     */
    public static void check(Map<String, ?> clientProps, Duration timeout, boolean quietLogs) {
        Object url = clientProps.get(SchemaRegistries.URL);
        if (url == null || url.toString().trim().startsWith("mock://")) {
            return; // no registry to reach (an unset URL is a configuration error, reported where it is read)
        }
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(SchemaRegistries.REQUEST_TIMEOUT_MS, Long.toString(Math.max(1, timeout.toMillis())));
        SchemaRegistryClient client = SchemaRegistries.forConfig(props);
        if (!(client instanceof HttpSchemaRegistryClient http)) {
            return;
        }
        String where = "the schema registry at " + withoutCredentials(url.toString().trim()) + " (" + SchemaRegistries.URL + ")";
        long deadline = System.nanoTime() + timeout.toNanos();
        try (http; QuietClientLogs quiet = QuietClientLogs.of(List.of(HttpSchemaRegistryClient.class.getName()), quietLogs)) {
            while (true) {
                IOException failure;
                try {
                    http.ping();
                    return;
                } catch (SchemaRegistryException e) {
                    if (e.status() == 401 || e.status() == 403) {
                        throw new StartupCheckException(where + " refused the credentials (HTTP " + e.status()
                                + "; see basic.auth.credentials.source, basic.auth.user.info): " + e.getMessage(), e);
                    }
                    if (!e.isTransient()) {
                        throw new StartupCheckException(where + " cannot be used: " + e.getMessage(), e);
                    }
                    failure = e;
                } catch (IOException e) {
                    if (hasCause(e, SSLException.class)) {
                        throw new StartupCheckException(where + ": " + StartupCheckException.reason(e)
                                + " (see schema.registry.ssl.truststore.location)", e);
                    }
                    failure = e;
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    String why = failure instanceof SchemaRegistryException ? failure.getMessage() : reason(url.toString(), failure);
                    throw new StartupCheckException("cannot reach " + where + " within " + StartupCheckException.seconds(timeout)
                            + ": " + why, failure);
                }
                Thread.sleep(Math.min(RETRY_PAUSE_MS, left));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupCheckException("interrupted while checking " + where, e);
        }
    }

    /**
     * Why the (first) registry URL did not answer. Java's HTTP client says little (a refused
     * connection is a ConnectException without a message, caused by a ClosedChannelException): a
     * plain TCP connection attempt to the same host and port names the reason when it fails too.
     */
    private static String reason(String urls, IOException failure) {
        try {
            URI uri = URI.create(withoutCredentials(urls.split(",")[0].trim()));
            int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
            IOException tcp = uri.getHost() == null ? null : ClusterCheck.tryConnect(uri.getHost(), port, TCP_PROBE_MS);
            return StartupCheckException.reason(tcp != null ? tcp : failure);
        } catch (IllegalArgumentException e) {
            return StartupCheckException.reason(failure);
        }
    }

    /** The URL(s) without {@code user:password@}, which must not reach a console or a log. */
    static String withoutCredentials(String urls) {
        return urls.replaceAll("(?<=://)[^/@,]*@", "");
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (type.isInstance(c)) return true;
        }
        return false;
    }
}
