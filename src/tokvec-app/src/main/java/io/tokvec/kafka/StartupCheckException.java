package io.tokvec.kafka;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * A dependency named in the configuration (the Kafka cluster, the schema registry) cannot be used:
 * unreachable, or it refused the connection's security settings. An expected condition, not a bug:
 * the message is one line that names the setting and what failed, and is all a user needs to see.
 */
public final class StartupCheckException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StartupCheckException(String message, Throwable cause) {
        super(message, cause);
    }

    /** {@code 10 s}, {@code 0.5 s}: a timeout as the messages print it. */
    static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    /**
     * Why a connection attempt failed, in a few words ({@code connection refused}, {@code unknown
     * host x}, {@code no answer}, {@code TLS handshake failed: ...}), from the innermost cause that
     * says it; Java's HTTP client often wraps the telling exception in one without a message.
     */
    static String reason(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SSLException) {
                return "TLS handshake failed: " + c.getMessage();
            }
            if (c instanceof UnknownHostException || c instanceof UnresolvedAddressException) {
                return "unknown host" + (c.getMessage() == null ? "" : " " + c.getMessage());
            }
            if (c instanceof NoRouteToHostException) {
                return "no route to host";
            }
            if (c instanceof HttpConnectTimeoutException || c instanceof HttpTimeoutException
                    || c instanceof SocketTimeoutException) {
                return "no answer";
            }
            if (c instanceof ConnectException && c.getMessage() != null) {
                return c.getMessage().toLowerCase(Locale.ROOT);
            }
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }
}
