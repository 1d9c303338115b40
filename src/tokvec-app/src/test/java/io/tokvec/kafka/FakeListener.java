package io.tokvec.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP listener on 127.0.0.1 that is not a Kafka broker, for the startup checks' failure paths:
 * {@link Behaviour#SILENT} accepts and never answers; {@link Behaviour#PLAINTEXT_KAFKA} closes the
 * connection once bytes arrive that are not a Kafka request, as a plaintext broker does with a TLS
 * ClientHello (whose first four bytes read as a request far above socket.request.max.bytes);
 * {@link Behaviour#TLS} answers whatever comes with a TLS alert record and closes, as a TLS listener
 * does with bytes that are not TLS.
 */
final class FakeListener implements AutoCloseable {

    enum Behaviour { SILENT, PLAINTEXT_KAFKA, TLS }

    /** TLS record: alert (21), TLS 1.2, length 2, fatal (2), handshake_failure (40). */
    private static final byte[] TLS_ALERT = {21, 3, 3, 0, 2, 2, 40};
    /** Kafka's default socket.request.max.bytes. */
    private static final int MAX_REQUEST = 100 * 1024 * 1024;

    private final ServerSocket server;
    private final Behaviour behaviour;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    FakeListener(Behaviour behaviour) throws IOException {
        this.behaviour = behaviour;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptAll, "fake-listener-" + behaviour);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    private void acceptAll() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.add(s);
                Thread t = new Thread(() -> serve(s), "fake-listener-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            switch (behaviour) {
                case SILENT -> in.transferTo(OutputStream.nullOutputStream());
                case TLS -> {
                    if (in.read() >= 0) out.write(TLS_ALERT);
                }
                case PLAINTEXT_KAFKA -> {
                    byte[] size = in.readNBytes(4);
                    int n = size.length < 4 ? -1 : ((size[0] & 0xff) << 24) | ((size[1] & 0xff) << 16) | ((size[2] & 0xff) << 8) | (size[3] & 0xff);
                    if (n >= 0 && n <= MAX_REQUEST) {
                        in.transferTo(OutputStream.nullOutputStream()); // a request: only TLS clients are tested against this
                    }
                }
                default -> throw new IllegalStateException();
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : accepted) s.close();
    }
}
