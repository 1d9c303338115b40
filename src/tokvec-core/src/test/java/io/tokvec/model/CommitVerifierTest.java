package io.tokvec.model;

import io.tokvec.avro.TableCommit;
import io.tokvec.model.TableRejectedException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class CommitVerifierTest {

    private static final KeyPair A = SigningKeys.generate();
    private static final KeyPair B = SigningKeys.generate();

    @TempDir
    Path dir;

    static TableCommit commit(long rows, String vocabChecksum) {
        return TableCommit.newBuilder().setRows(rows).setDim(8).setChunks(2)
                .setChecksum("sha256:" + "ab".repeat(32)).setVocabChecksum(vocabChecksum)
                .setCreatedMs(1234).setMetadata(Map.of()).build();
    }

    static TableCommit signed(KeyPair key, String table, long version, TableCommit c) {
        new CommitSigner(key.getPrivate(), key.getPublic()).sign(table, version, c);
        return c;
    }

    @Test
    void shouldCoverTheNineDocumentedLinesWhenBuildingTheSignedText() {
        String text = new String(CommitSignature.signedBytes("glove", 3, commit(13, null)), StandardCharsets.UTF_8);
        assertThat(text).isEqualTo("tokvec-table-commit-v1\ntable=glove\nversion=3\nrows=13\ndim=8\nchunks=2\nchecksum=sha256:"
                + "ab".repeat(32) + "\nvocab_checksum=\n");
        String withVocab = new String(CommitSignature.signedBytes("glove", 3, commit(13, "sha256:cd")), StandardCharsets.UTF_8);
        assertThat(withVocab).endsWith("\nvocab_checksum=sha256:cd\n");
    }

    @Test
    void shouldRefuseToSignWhenATextFieldHoldsALineBreak() {
        assertThatThrownBy(() -> CommitSignature.signedBytes("a\nversion=9", 3, commit(13, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("table holds a line break");
    }

    @Test
    void shouldAcceptWhenSignedByATrustedKey() throws Exception {
        TableCommit c = signed(A, "glove", 3, commit(13, null));
        assertThat(c.getSignature().remaining()).isEqualTo(64);
        assertThat(c.getKeyId()).isEqualTo(SigningKeys.keyId(A.getPublic())).hasSize(16);
        new CommitVerifier(List.of(A.getPublic())).verify("glove", 3, c);
    }

    @Test
    void shouldRejectAsUnsignedWhenTheCommitHasNoSignature() {
        TableRejectedException e = catchThrowableOfType(TableRejectedException.class,
                () -> new CommitVerifier(List.of(A.getPublic())).verify("glove", 3, commit(13, null)));
        assertThat(e.reason()).isEqualTo(Reason.UNSIGNED);
        assertThat(e).hasMessageContaining("v3 is not signed").hasMessageContaining(SigningKeys.keyId(A.getPublic()));
    }

    @Test
    void shouldRejectAsBadSignatureWhenASignedFieldWasChanged() {
        TableCommit c = signed(A, "glove", 3, commit(13, null));
        c.setRows(14L);
        TableRejectedException e = catchThrowableOfType(TableRejectedException.class,
                () -> new CommitVerifier(List.of(A.getPublic())).verify("glove", 3, c));
        assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(e).hasMessageContaining("does not verify with key " + c.getKeyId());
    }

    @Test
    void shouldRejectAsBadSignatureWhenASignatureIsReplayedForAnotherVersionOrTable() {
        TableCommit c = signed(A, "glove", 3, commit(13, null));
        CommitVerifier v = new CommitVerifier(List.of(A.getPublic()));
        assertThat(catchThrowableOfType(TableRejectedException.class, () -> v.verify("glove", 4, c)).reason())
                .isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(catchThrowableOfType(TableRejectedException.class, () -> v.verify("other", 3, c)).reason())
                .isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void shouldRejectAsBadSignatureWhenSignedByAnUntrustedKey() {
        TableCommit c = signed(B, "glove", 3, commit(13, null));
        TableRejectedException e = catchThrowableOfType(TableRejectedException.class,
                () -> new CommitVerifier(List.of(A.getPublic())).verify("glove", 3, c));
        assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(e).hasMessageContaining("signed with key " + SigningKeys.keyId(B.getPublic()) + ", which is not trusted");
    }

    @Test
    void shouldTryEveryTrustedKeyWhenTheCommitNamesNoKey() throws Exception {
        TableCommit c = signed(B, "glove", 3, commit(13, null));
        c.setKeyId(null);
        new CommitVerifier(List.of(A.getPublic(), B.getPublic())).verify("glove", 3, c);
        TableRejectedException e = catchThrowableOfType(TableRejectedException.class,
                () -> new CommitVerifier(List.of(A.getPublic())).verify("glove", 3, c));
        assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void shouldRejectAsBadSignatureWhenTheSignatureHasTheWrongLength() {
        TableCommit c = signed(A, "glove", 3, commit(13, null));
        c.setSignature(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(catchThrowableOfType(TableRejectedException.class,
                () -> new CommitVerifier(List.of(A.getPublic())).verify("glove", 3, c)).reason()).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void shouldReadBackEveryKeyWhenPemFilesAreWrittenAndRead() throws Exception {
        Path pub = dir.resolve("trusted.pem");
        Files.writeString(pub, "comment line\n" + SigningKeys.pem(A.getPublic()) + SigningKeys.pem(B.getPublic()));
        List<PublicKey> keys = SigningKeys.readPublicKeys(pub);
        assertThat(keys).containsExactly(A.getPublic(), B.getPublic());
        Path priv = dir.resolve("key.pem");
        Files.writeString(priv, SigningKeys.pem(A.getPrivate()));
        assertThat(SigningKeys.readPrivateKey(priv).getEncoded()).isEqualTo(A.getPrivate().getEncoded());
    }

    @Test
    void shouldDeriveThePublicKeyWhenGivenOnlyThePrivateKey() {
        assertThat(SigningKeys.publicKeyOf(A.getPrivate()).getEncoded()).isEqualTo(A.getPublic().getEncoded());
        assertThat(SigningKeys.publicKeyOf(B.getPrivate()).getEncoded()).isEqualTo(B.getPublic().getEncoded());
    }

    @Test
    void shouldFailClearlyWhenAFileHoldsNoPublicKey() throws Exception {
        Path f = dir.resolve("empty.pem");
        Files.writeString(f, SigningKeys.pem(A.getPrivate()));
        assertThatThrownBy(() -> SigningKeys.readPublicKeys(f)).hasMessageContaining("no '-----BEGIN PUBLIC KEY-----' block");
    }
}
