package io.tokvec.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * Does a listener speak TLS? Sends a TLS ClientHello over a plain socket and reads the first byte of
 * the answer: a TLS record (22 handshake, 21 alert) means TLS; the connection closed, or any other
 * byte, means not. Only used to explain a cluster that accepts connections but does not answer (a
 * client with {@code security.protocol=SSL} at a plaintext listener, or the reverse): no handshake is
 * completed and no certificate is looked at.
 */
final class TlsProbe {

    private static final int HANDSHAKE = 22;
    private static final int ALERT = 21;

    private TlsProbe() {
    }

    /** True: TLS; false: not TLS; empty: no answer within the timeout, or no probe could be made. */
    static Optional<Boolean> speaksTls(String host, int port, int timeoutMs) {
        byte[] clientHello;
        try {
            SSLEngine engine = SSLContext.getDefault().createSSLEngine(host, port);
            engine.setUseClientMode(true);
            engine.beginHandshake();
            ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            engine.wrap(ByteBuffer.allocate(0), out);
            out.flip();
            clientHello = new byte[out.remaining()];
            out.get(clientHello);
        } catch (GeneralSecurityException | IOException e) {
            return Optional.empty();
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), timeoutMs);
            socket.setSoTimeout(timeoutMs);
            socket.getOutputStream().write(clientHello);
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            int first = in.read();
            return Optional.of(first == HANDSHAKE || first == ALERT);
        } catch (SocketTimeoutException | ConnectException e) {
            return Optional.empty();
        } catch (SocketException e) {
            return Optional.of(false); // reset on our ClientHello: the peer did not take it for TLS
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
