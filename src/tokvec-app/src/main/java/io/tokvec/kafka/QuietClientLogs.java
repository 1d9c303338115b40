package io.tokvec.kafka;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * Silences a few loggers for the length of a startup check, so that a cluster that does not answer
 * gives one line of tokvec's instead of a WARN per reconnect attempt from the Kafka clients
 * ({@code Connection to node -1 ... could not be established}). The CLI logs through slf4j-simple,
 * which has no API to change a logger's level: this sets the level field of its logger objects
 * (the same objects the Kafka clients log through) and puts the old levels back on
 * {@link #close()}. With another SLF4J binding it changes nothing.
 */
public final class QuietClientLogs implements AutoCloseable {

    /** What Kafka's clients log while a connection fails or is refused. */
    public static final List<String> KAFKA_CLIENTS = List.of(
            "org.apache.kafka.clients.NetworkClient",
            "org.apache.kafka.clients.ClientUtils",
            "org.apache.kafka.clients.admin.KafkaAdminClient",
            "org.apache.kafka.clients.admin.internals.AdminMetadataManager",
            "org.apache.kafka.common.network.Selector",
            "org.apache.kafka.common.network.SslTransportLayer",
            "org.apache.kafka.common.security.authenticator.SaslClientAuthenticator",
            "org.apache.kafka.common.utils.internals.AppInfoParser");

    private static final String SIMPLE_LOGGER = "org.slf4j.simple.SimpleLogger";

    private final List<Logger> loggers = new ArrayList<>();
    private final List<Integer> levels = new ArrayList<>();
    private final Field level;

    private QuietClientLogs(List<String> names, boolean quiet) {
        Field f = quiet ? levelField() : null;
        this.level = f;
        if (f == null) {
            return;
        }
        int off = offLevel();
        for (String name : names) {
            Logger l = LoggerFactory.getLogger(name);
            if (!l.getClass().getName().equals(SIMPLE_LOGGER)) {
                continue;
            }
            try {
                levels.add(f.getInt(l));
                f.setInt(l, off);
                loggers.add(l);
            } catch (IllegalAccessException e) {
                return;
            }
        }
    }

    /** Silences {@code names} until {@link #close()}; does nothing when {@code quiet} is false. */
    public static QuietClientLogs of(List<String> names, boolean quiet) {
        return new QuietClientLogs(names, quiet);
    }

    @Override
    public void close() {
        for (int i = 0; i < loggers.size(); i++) {
            try {
                level.setInt(loggers.get(i), levels.get(i));
            } catch (IllegalAccessException e) {
                // set above with the same field: cannot happen
            }
        }
        loggers.clear();
    }

    private static Field levelField() {
        try {
            Field f = Class.forName(SIMPLE_LOGGER).getDeclaredField("currentLogLevel");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null; // another binding, or a version without the field: leave the logs alone
        }
    }

    private static int offLevel() {
        try {
            Field off = Class.forName(SIMPLE_LOGGER).getDeclaredField("LOG_LEVEL_OFF");
            off.setAccessible(true);
            return off.getInt(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Integer.MAX_VALUE;
        }
    }
}
