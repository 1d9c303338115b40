package io.tokvec.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Ports on {@value #HOST}, the only address the devkit's brokers bind. Probing for a free port has a race
 * (another process may take it before the broker binds it), so callers retry on {@link #isBindFailure}.
 */
public final class LoopbackPorts {

    /** The only address the brokers (and the devkit registry) bind to. */
    public static final String HOST = "127.0.0.1";
    /** Controller port of node K of a cluster whose client port is BASE: BASE + this + K - 1. */
    public static final int CONTROLLER_OFFSET = 100;

    private LoopbackPorts() {
    }

    /** A port free on {@value #HOST} right now, other than {@code avoid}. */
    public static int freePort(int... avoid) {
        for (int i = 0; i < 20; i++) {
            int p = probe(0);
            boolean clash = false;
            for (int a : avoid) {
                clash |= a == p;
            }
            if (!clash) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find a free port on " + HOST);
    }

    /**
     * A base port BASE such that the client ports BASE .. BASE+nodes-1 and the controller ports
     * BASE+{@value #CONTROLLER_OFFSET} .. BASE+{@value #CONTROLLER_OFFSET}+nodes-1 are all free right now: what
     * {@code tokvec broker --nodes N --port BASE} needs on every node.
     */
    public static int freeBase(int nodes) {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = freePort();
            if (base + CONTROLLER_OFFSET + nodes > 65535) {
                continue;
            }
            if (allFree(base, nodes) && allFree(base + CONTROLLER_OFFSET, nodes)) {
                return base;
            }
        }
        throw new IllegalStateException("cannot find " + nodes + " free client and controller ports on " + HOST);
    }

    private static boolean allFree(int first, int count) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int p = first; p < first + count; p++) {
                ServerSocket s = new ServerSocket();
                held.add(s);
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getByName(HOST), p));
            }
            return true;
        } catch (IOException e) {
            return false;
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a probe
                }
            }
        }
    }

    /** Why {@code port} cannot be bound on {@value #HOST} right now (the bind error's message), or null when it can. */
    public static String bindFailure(int port) {
        try {
            probe(port);
            return null;
        } catch (UncheckedIOException e) {
            return e.getCause().getMessage();
        }
    }

    private static int probe(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + HOST, e);
        }
    }

    /** True when {@code e} (or a cause) says a port could not be bound. */
    public static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && (m.contains("Address already in use") || m.contains("failed to bind"))) {
                return true;
            }
        }
        return false;
    }
}
