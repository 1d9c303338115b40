package io.tokvec.kafka;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A port on 127.0.0.1 where nothing listens, for as long as this is open: a socket bound to it that
 * never listens, so connections to it are refused and no other process can take the port meanwhile.
 */
public final class ClosedPort implements AutoCloseable {

    private final Socket socket = new Socket();

    public ClosedPort() throws IOException {
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    public int port() {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
