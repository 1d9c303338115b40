package io.tokvec.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokvec.avro.TableCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableChecksum;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The signature format against real tools: keys made by OpenSSL ({@code openssl genpkey -algorithm
 * ed25519}) are read, Java's signatures verify with {@code openssl pkeyutl}, and a commit signed by
 * the documented Python recipe (python3-cryptography, src/tokvec-core/src/test/python/sign_commit.py)
 * verifies in Java. Skipped when openssl or python3 with cryptography is missing.
 */
class ExternalSignersTest {

    private static final Path OPENSSL = Path.of("/usr/bin/openssl");
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path SIGN_SCRIPT = Path.of(System.getProperty("tokvec.root.dir", "."))
            .resolve("src/tokvec-core/src/test/python/sign_commit.py");

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run run(String stdin, String... command) throws IOException, InterruptedException {
        Path out = dir.resolve("out-" + System.nanoTime());
        Path err = dir.resolve("err-" + System.nanoTime());
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private Path opensslKey() throws Exception {
        assumeThat(Files.isExecutable(OPENSSL)).as("openssl at " + OPENSSL).isTrue();
        Path key = dir.resolve("key.pem");
        Run gen = run(null, OPENSSL.toString(), "genpkey", "-algorithm", "ed25519", "-out", key.toString());
        assertThat(gen.exit()).as(gen.err()).isZero();
        return key;
    }

    private static TableCommit commitOf(EmbeddingTable t) {
        return TableCommit.newBuilder().setRows(t.rows()).setDim(t.dim()).setChunks(3)
                .setChecksum(TableChecksum.ofData(t.data()))
                .setVocabChecksum(t.vocabulary() == null ? null : TableChecksum.ofVocabulary(t.vocabulary().tokens()))
                .setCreatedMs(0).setMetadata(Map.of()).build();
    }

    private static EmbeddingTable table() {
        float[] v = new float[5 * 3];
        for (int i = 0; i < v.length; i++) v[i] = i * 0.25f - 1;
        return EmbeddingTable.fromFloats("glové", 7, 5, 3, v, List.of("", "[UNK]", "ä", "b", "c"));
    }

    @Test
    void shouldReadTheKeyAndMatchItsPublicHalfWhenOpensslGeneratedIt() throws Exception {
        Path key = opensslKey();
        Path pub = dir.resolve("key.pub");
        Run pubout = run(null, OPENSSL.toString(), "pkey", "-in", key.toString(), "-pubout", "-out", pub.toString());
        assertThat(pubout.exit()).as(pubout.err()).isZero();
        PrivateKey priv = SigningKeys.readPrivateKey(key);
        assertThat(SigningKeys.publicKeyOf(priv).getEncoded()).isEqualTo(SigningKeys.readPublicKeys(pub).get(0).getEncoded());
    }

    @Test
    void shouldVerifyWithOpensslWhenJavaSignedTheCommit() throws Exception {
        Path key = opensslKey();
        Path pub = dir.resolve("key.pub");
        assertThat(run(null, OPENSSL.toString(), "pkey", "-in", key.toString(), "-pubout", "-out", pub.toString()).exit()).isZero();
        PrivateKey priv = SigningKeys.readPrivateKey(key);
        EmbeddingTable t = table();
        TableCommit c = commitOf(t);
        new CommitSigner(priv, SigningKeys.publicKeyOf(priv)).sign(t.name(), t.version(), c);
        Path msg = dir.resolve("msg");
        Path sig = dir.resolve("sig");
        Files.write(msg, CommitSignature.signedBytes(t.name(), t.version(), c));
        byte[] s = new byte[c.getSignature().remaining()];
        c.getSignature().duplicate().get(s);
        Files.write(sig, s);
        Run ok = run(null, OPENSSL.toString(), "pkeyutl", "-verify", "-pubin", "-inkey", pub.toString(), "-rawin",
                "-in", msg.toString(), "-sigfile", sig.toString());
        assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
        assertThat(ok.out()).contains("Signature Verified Successfully");
        s[10] ^= 1;
        Files.write(sig, s);
        Run bad = run(null, OPENSSL.toString(), "pkeyutl", "-verify", "-pubin", "-inkey", pub.toString(), "-rawin",
                "-in", msg.toString(), "-sigfile", sig.toString());
        assertThat(bad.exit()).isNotZero();
    }

    @Test
    void shouldAcceptTheCommitWhenPythonSignedItTheDocumentedWay() throws Exception {
        assumeThat(Files.isExecutable(PYTHON)).as("python3 at " + PYTHON).isTrue();
        assumeThat(run(null, PYTHON.toString(), "-c", "import cryptography").exit())
                .as("python3-cryptography importable (apt-get install python3-cryptography)").isZero();
        Path key = opensslKey();
        EmbeddingTable t = table();
        TableCommit c = commitOf(t);
        ObjectMapper json = new ObjectMapper();
        Map<String, Object> fields = new java.util.LinkedHashMap<>();
        fields.put("table", t.name());
        fields.put("version", t.version());
        fields.put("rows", c.getRows());
        fields.put("dim", c.getDim());
        fields.put("chunks", c.getChunks());
        fields.put("checksum", c.getChecksum());
        fields.put("vocab_checksum", c.getVocabChecksum());
        Run signed = run(json.writeValueAsString(fields), PYTHON.toString(), SIGN_SCRIPT.toString(), key.toString());
        assertThat(signed.exit()).as(signed.err()).isZero();
        JsonNode answer = json.readTree(signed.out());

        PublicKey pythonsPublic = readPem(answer.get("public_key").asText());
        PrivateKey priv = SigningKeys.readPrivateKey(key);
        assertThat(pythonsPublic.getEncoded()).isEqualTo(SigningKeys.publicKeyOf(priv).getEncoded());
        assertThat(answer.get("key_id").asText()).isEqualTo(SigningKeys.keyId(pythonsPublic));

        c.setSignature(ByteBuffer.wrap(Base64.getDecoder().decode(answer.get("signature").asText())));
        c.setKeyId(answer.get("key_id").asText());
        CommitVerifier verifier = new CommitVerifier(List.of(pythonsPublic));
        verifier.verify(t.name(), t.version(), c);
        // and it is the very signature Java makes: Ed25519 is deterministic
        TableCommit mine = commitOf(t);
        new CommitSigner(priv, pythonsPublic).sign(t.name(), t.version(), mine);
        assertThat(mine.getSignature()).isEqualTo(c.getSignature());

        c.setChecksum(TableChecksum.ofData(new byte[12]));
        List<TableRejectedException.Reason> reasons = new ArrayList<>();
        try {
            verifier.verify(t.name(), t.version(), c);
        } catch (TableRejectedException e) {
            reasons.add(e.reason());
        }
        assertThat(reasons).containsExactly(TableRejectedException.Reason.BAD_SIGNATURE);
    }

    @Test
    void shouldAcceptADeltaCommitWhenPythonSignedItTheDocumentedWay() throws Exception {
        assumeThat(Files.isExecutable(PYTHON)).as("python3 at " + PYTHON).isTrue();
        assumeThat(run(null, PYTHON.toString(), "-c", "import cryptography").exit())
                .as("python3-cryptography importable (apt-get install python3-cryptography)").isZero();
        Path key = opensslKey();
        DeltaGolden golden = new DeltaGolden();
        List<ModelChunker.Keyed> records = golden.get(2).records("glové", golden.get(1), 48);
        io.tokvec.avro.TableDeltaCommit c = (io.tokvec.avro.TableDeltaCommit) records.get(records.size() - 1).record().getBody();
        Map<String, Object> fields = new java.util.LinkedHashMap<>();
        fields.put("table", "glové");
        fields.put("version", 2);
        fields.put("base_version", c.getBaseVersion());
        fields.put("base_rows", c.getBaseRows());
        fields.put("rows", c.getRows());
        fields.put("dim", c.getDim());
        fields.put("delta_rows", c.getDeltaRows());
        fields.put("chunks", c.getChunks());
        fields.put("delta_checksum", c.getDeltaChecksum());
        fields.put("tokens_checksum", c.getTokensChecksum());
        fields.put("content_id", c.getContentId());
        ObjectMapper json = new ObjectMapper();
        Run signed = run(json.writeValueAsString(fields), PYTHON.toString(), SIGN_SCRIPT.toString(), key.toString());
        assertThat(signed.exit()).as(signed.err()).isZero();
        JsonNode answer = json.readTree(signed.out());
        PublicKey pythonsPublic = readPem(answer.get("public_key").asText());
        c.setSignature(ByteBuffer.wrap(Base64.getDecoder().decode(answer.get("signature").asText())));
        c.setKeyId(answer.get("key_id").asText());
        CommitVerifier verifier = new CommitVerifier(List.of(pythonsPublic));
        verifier.verify("glové", 2, c);
        List<TableRejectedException.Reason> reasons = new ArrayList<>();
        for (Runnable alter : List.<Runnable>of(() -> c.setBaseVersion(1 + c.getBaseVersion()),
                () -> c.setDeltaChecksum(TableChecksum.ofData(new byte[4])))) {
            io.tokvec.avro.TableDeltaCommit copy = io.tokvec.avro.TableDeltaCommit.newBuilder(c).build();
            alter.run();
            try {
                verifier.verify("glové", 2, c);
            } catch (TableRejectedException e) {
                reasons.add(e.reason());
            }
            c.setBaseVersion(copy.getBaseVersion());
            c.setDeltaChecksum(copy.getDeltaChecksum());
        }
        assertThat(reasons).containsExactly(TableRejectedException.Reason.BAD_SIGNATURE, TableRejectedException.Reason.BAD_SIGNATURE);
    }

    private PublicKey readPem(String pem) throws IOException {
        Path f = dir.resolve("python.pub");
        Files.writeString(f, pem);
        return SigningKeys.readPublicKeys(f).get(0);
    }
}
