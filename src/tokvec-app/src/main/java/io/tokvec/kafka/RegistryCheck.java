package io.tokvec.kafka;

import io.tokvec.serde.HttpSchemaRegistryClient;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.serde.SchemaRegistryException;
import org.apache.kafka.common.config.ConfigException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Does the schema registry of {@code schema.registry.url} answer, and accept the credentials? First a
 * TCP connection to one of its URLs, retried until the check's timeout (a registry that is still
 * starting is waited for); then {@code GET /subjects} with the configured credentials and TLS,
 * given the registry client's own {@code schema.registry.request.timeout.ms} to answer (a slow
 * registry is not a missing one). An answer that retrying cannot change (HTTP 401/403, a 404 from
 * something that is not a registry, a failed TLS handshake) ends the check at once; HTTP 5xx is
 * retried until the timeout. {@code mock://} registries live in the JVM and are not checked.
 */
public final class RegistryCheck {

    private static final long RETRY_PAUSE_MS = 200;

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
        SchemaRegistryClient client = SchemaRegistries.forConfig(clientProps);
        if (!(client instanceof HttpSchemaRegistryClient http)) {
            return;
        }
        String urls = withoutCredentials(url.toString().trim());
        String where = "the schema registry at " + urls + " (" + SchemaRegistries.URL + ")";
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            ClusterCheck.firstToAccept(addresses(urls), timeout);
        } catch (IOException e) {
            throw new StartupCheckException("cannot reach " + where + " within " + StartupCheckException.seconds(timeout) + ": "
                    + StartupCheckException.reason(e), e);
        }
        try (http; QuietClientLogs quiet = QuietClientLogs.of(List.of(HttpSchemaRegistryClient.class.getName()), quietLogs)) {
            while (true) {
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
                    if (System.nanoTime() - deadline > 0) {
                        throw new StartupCheckException(where + " still answered with an error after "
                                + StartupCheckException.seconds(timeout) + ": " + e.getMessage(), e);
                    }
                } catch (IOException e) {
                    if (hasCause(e, SSLException.class)) {
                        throw new StartupCheckException(where + ": " + StartupCheckException.reason(e)
                                + " (see schema.registry.ssl.truststore.location)", e);
                    }
                    throw new StartupCheckException(where + " accepts connections but did not answer GET /subjects: "
                            + StartupCheckException.reason(e) + " (see " + SchemaRegistries.REQUEST_TIMEOUT_MS
                            + "; is the URL's scheme, http or https, the one it serves?)", e);
                }
                Thread.sleep(Math.max(1, Math.min(RETRY_PAUSE_MS, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupCheckException("interrupted while checking " + where, e);
        }
    }

    /** Host and port of each URL (80 or 443 when it names none). */
    private static List<InetSocketAddress> addresses(String urls) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String u : urls.split(",")) {
            URI uri = URI.create(u.trim());
            int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
            out.add(InetSocketAddress.createUnresolved(uri.getHost(), port));
        }
        return out;
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
