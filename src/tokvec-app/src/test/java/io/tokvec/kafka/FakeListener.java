package io.tokvec.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A TCP listener on 127.0.0.1 that is not a Kafka broker, for the startup checks' failure paths:
 * {@link Behaviour#SILENT} accepts and never answers; {@link Behaviour#PLAINTEXT_KAFKA} closes the
 * connection once bytes arrive that are not a Kafka request, as a plaintext broker does with a TLS
 * ClientHello (whose first four bytes read as a request far above socket.request.max.bytes);
 * {@link Behaviour#TLS} answers whatever comes with a TLS alert record and closes, as a TLS listener
 * does with bytes that are not TLS; {@link Behaviour#TLS_SELF_SIGNED} is a TLS server whose
 * certificate (made by keytool for the test) no client trusts.
 */
final class FakeListener implements AutoCloseable {

    enum Behaviour { SILENT, PLAINTEXT_KAFKA, TLS, TLS_SELF_SIGNED }

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
        this.server = behaviour == Behaviour.TLS_SELF_SIGNED ? selfSignedTls()
                : new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
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
                case TLS_SELF_SIGNED -> ((SSLSocket) s).startHandshake(); // the client refuses the certificate
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

    /** A TLS server socket with a fresh self-signed certificate for CN=localhost (keytool, into a temp keystore). */
    private static ServerSocket selfSignedTls() throws IOException {
        Path dir = Files.createTempDirectory("fake-tls-");
        Path store = dir.resolve("server.p12");
        char[] password = "changeit".toCharArray();
        try {
            Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                    "-genkeypair", "-alias", "server", "-keyalg", "EC", "-dname", "CN=localhost", "-validity", "1",
                    "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", new String(password))
                    .redirectErrorStream(true).start();
            String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (keytool.waitFor() != 0) throw new IOException("keytool failed: " + output);
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keys.load(in, password);
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            Files.deleteIfExists(store);
            Files.deleteIfExists(dir);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : accepted) s.close();
    }
}
