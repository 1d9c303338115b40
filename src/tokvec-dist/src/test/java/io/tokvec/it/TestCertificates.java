package io.tokvec.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A certificate authority and a server certificate it signed for 127.0.0.1 (subject alternative name
 * {@code IP:127.0.0.1}, so clients that verify host names accept it), made with the JDK's {@code keytool}: the
 * CA's certificate alone in {@link #truststore()}, the server's key with its chain in {@link #keystore()}, both
 * PKCS12 under {@link #PASSWORD}. A second, unrelated CA ({@link #otherTruststore()}) is what a client that does
 * not have the right CA trusts.
 */
record TestCertificates(Path keystore, Path truststore, Path otherTruststore) {

    static final String PASSWORD = "tls-store-secret";

    static TestCertificates make(Path dir) throws IOException, InterruptedException {
        Path ca = dir.resolve("ca-key.p12");
        Path caCert = dir.resolve("ca.crt");
        Path server = dir.resolve("server.p12");
        Path csr = dir.resolve("server.csr");
        Path signed = dir.resolve("server.crt");
        Path truststore = dir.resolve("ca-truststore.p12");
        Path other = dir.resolve("other-ca.p12");
        Path otherCert = dir.resolve("other-ca.crt");
        Path otherTruststore = dir.resolve("other-truststore.p12");

        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=tokvec test CA",
                "-ext", "bc:c", "-validity", "2", "-keystore", ca);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca, "-file", caCert);
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-validity", "2", "-keystore", server);
        keytool("-certreq", "-alias", "server", "-keystore", server, "-file", csr);
        keytool("-gencert", "-alias", "ca", "-keystore", ca, "-infile", csr, "-outfile", signed, "-rfc", "-validity", "2",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-ext", "EKU=serverAuth,clientAuth");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", server, "-file", caCert);
        keytool("-importcert", "-alias", "server", "-keystore", server, "-file", signed);
        keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", truststore, "-file", caCert);

        keytool("-genkeypair", "-alias", "other", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=some other CA",
                "-ext", "bc:c", "-validity", "2", "-keystore", other);
        keytool("-exportcert", "-rfc", "-alias", "other", "-keystore", other, "-file", otherCert);
        keytool("-importcert", "-noprompt", "-alias", "other", "-keystore", otherTruststore, "-file", otherCert);
        return new TestCertificates(server, truststore, otherTruststore);
    }

    private static void keytool(Object... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-J-XX:TieredStopAtLevel=1", "-J-Xshare:auto"));
        for (Object a : args) cmd.add(a.toString());
        cmd.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        if (List.of(args).contains("-genkeypair")) cmd.addAll(List.of("-keypass", PASSWORD));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("keytool %s finished", args[0]).isTrue();
        assertThat(p.exitValue()).as("keytool %s: %s", String.join(" ", cmd), out).isZero();
    }
}
