package lib.front;

import lib.base.DeployError;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A certificate and its key as PEM files (certbot's fullchain.pem and privkey.pem, or a CA's), checked before
 * anything changes: both readable, the certificate valid now, the key the one of the certificate's public key
 * (RSA or EC; PKCS#8, PKCS#1 or SEC1). The key's bytes stay in this object, which never prints them.
 */
public final class TlsFiles {
    private final byte[] certPem;
    private final byte[] keyPem;
    private final String fingerprint;
    private final Instant notAfter;

    private TlsFiles(byte[] certPem, byte[] keyPem, String fingerprint, Instant notAfter) {
        this.certPem = certPem;
        this.keyPem = keyPem;
        this.fingerprint = fingerprint;
        this.notAfter = notAfter;
    }

    /** Which setting named the files, for the error: an option (exit 2) or deploy.yml's key (exit 3). */
    public record Source(String certName, String keyName, int exitCode) {
        public static final Source FILE = new Source("front.tls.cert", "front.tls.key", lib.base.ExitCode.CONFIG);
        public static final Source OPTIONS = new Source("--front-tls-cert", "--front-tls-key", lib.base.ExitCode.USAGE);
    }

    /** The files, checked; a problem is one line naming the setting, the file and what to do. */
    public static TlsFiles load(Path cert, Path key) {
        return load(cert, key, Source.FILE);
    }

    public static TlsFiles load(Path cert, Path key, Source src) {
        try {
            return check(cert, key);
        } catch (DeployError e) {
            throw new DeployError(src.exitCode(), e.getMessage().replace("front.tls.cert ", src.certName() + " ").replace("front.tls.key ", src.keyName() + " "));
        }
    }

    private static TlsFiles check(Path cert, Path key) {
        byte[] certBytes = read(cert, "certificate");
        byte[] keyBytes = read(key, "key");
        X509Certificate leaf = certificate(cert, certBytes);
        Instant now = Instant.now();
        if (leaf.getNotAfter().toInstant().isBefore(now)) {
            throw DeployError.config("front.tls.cert " + cert + " expired on " + leaf.getNotAfter().toInstant() + "; renew it (e.g. certbot renew) and try again");
        }
        if (leaf.getNotBefore().toInstant().isAfter(now)) {
            throw DeployError.config("front.tls.cert " + cert + " is not valid before " + leaf.getNotBefore().toInstant() + "; check the clock or the certificate");
        }
        PrivateKey privateKey = privateKey(key, keyBytes, leaf.getPublicKey());
        if (!matches(privateKey, leaf.getPublicKey())) {
            throw DeployError.config("front.tls.key " + key + " is not the key of the certificate " + cert + "; give the key the certificate was issued for");
        }
        return new TlsFiles(certBytes, keyBytes, fingerprint(leaf), leaf.getNotAfter().toInstant());
    }

    public byte[] certPem() {
        return certPem.clone();
    }

    /** The key's PEM, for the copy into the front only. */
    byte[] keyPem() {
        return keyPem.clone();
    }

    /** SHA-256 of the leaf certificate, as hex pairs: what status and the record show (never anything of the key). */
    public String fingerprint() {
        return fingerprint;
    }

    public Instant notAfter() {
        return notAfter;
    }

    @Override
    public String toString() {
        return "certificate " + fingerprint + " (expires " + notAfter + ")";
    }

    /** The fingerprint of the first certificate of a PEM, or null when it holds none (a front's copy read back). */
    public static String fingerprintOf(byte[] pem) {
        try {
            List<X509Certificate> certs = certificates(pem);
            return certs.isEmpty() ? null : fingerprint(certs.get(0));
        } catch (GeneralSecurityException | RuntimeException e) {
            return null;
        }
    }

    private static byte[] read(Path p, String what) {
        String key = what.equals("key") ? "front.tls.key" : "front.tls.cert";
        try {
            if (!Files.isRegularFile(p)) throw DeployError.config(key + " " + p + ": no such file; give the path of the PEM " + what + " file");
            byte[] b = Files.readAllBytes(p);
            if (b.length > 1_000_000) throw DeployError.config(key + " " + p + " is over 1 MB; give the PEM " + what + " file");
            return b;
        } catch (IOException e) {
            throw DeployError.config(key + " " + p + " cannot be read (" + e.getClass().getSimpleName() + "); check its permissions");
        }
    }

    private static X509Certificate certificate(Path p, byte[] pem) {
        try {
            List<X509Certificate> certs = certificates(pem);
            if (certs.isEmpty()) throw new GeneralSecurityException("none");
            return certs.get(0);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw DeployError.config("front.tls.cert " + p + " holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the certificate file (e.g. certbot's fullchain.pem)");
        }
    }

    private static List<X509Certificate> certificates(byte[] pem) throws GeneralSecurityException {
        String text = new String(pem, StandardCharsets.US_ASCII);
        if (!text.contains("-----BEGIN CERTIFICATE-----")) return List.of();
        return CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem)).stream()
                .map(c -> (X509Certificate) c).toList();
    }

    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private static PrivateKey privateKey(Path p, byte[] pem, PublicKey certKey) {
        Matcher m = PEM.matcher(new String(pem, StandardCharsets.US_ASCII));
        while (m.find()) {
            String type = m.group(1);
            if (type.equals("ENCRYPTED PRIVATE KEY") || m.group(0).contains("Proc-Type: 4,ENCRYPTED")) {
                throw DeployError.config("front.tls.key " + p + " is encrypted; nginx needs it without a passphrase (openssl pkey -in KEY -out KEY.plain)");
            }
            if (!type.endsWith("PRIVATE KEY")) continue;
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            // PKCS#1 (RSA) and SEC1 (EC) hold only the key: wrapped as PKCS#8 with the certificate's algorithm.
            byte[] pkcs8 = type.equals("PRIVATE KEY") ? der : Der.pkcs8(Der.algorithmOf(certKey.getEncoded()), der);
            try {
                return KeyFactory.getInstance(certKey.getAlgorithm()).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (GeneralSecurityException | RuntimeException e) {
                throw DeployError.config("front.tls.key " + p + " is not a key of the certificate's type (" + certKey.getAlgorithm() + "); give the key the certificate was issued for");
            }
        }
        throw DeployError.config("front.tls.key " + p + " holds no PEM private key (-----BEGIN PRIVATE KEY-----); give the key file (e.g. certbot's privkey.pem)");
    }

    /** A signature made with the key and checked with the certificate's public key: the same for RSA and EC. */
    private static boolean matches(PrivateKey key, PublicKey pub) {
        String alg = pub.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        try {
            byte[] message = "bgdeploy key check".getBytes(StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(alg);
            sign.initSign(key);
            sign.update(message);
            byte[] sig = sign.sign();
            Signature verify = Signature.getInstance(alg);
            verify.initVerify(pub);
            verify.update(message);
            return verify.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static String fingerprint(X509Certificate c) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Just enough DER to wrap a bare key as PKCS#8. */
    static final class Der {
        private Der() {}

        /** The AlgorithmIdentifier (first element) of a SubjectPublicKeyInfo. */
        static byte[] algorithmOf(byte[] spki) {
            int[] outer = header(spki, 0);
            int start = outer[0];
            int[] inner = header(spki, start);
            int end = inner[0] + inner[1];
            return java.util.Arrays.copyOfRange(spki, start, end);
        }

        static byte[] pkcs8(byte[] algorithm, byte[] key) {
            byte[] version = {0x02, 0x01, 0x00};
            byte[] octets = tlv(0x04, key);
            byte[] body = concat(version, algorithm, octets);
            return tlv(0x30, body);
        }

        /** {offset of the content, length of the content} of the element at {@code at}. */
        private static int[] header(byte[] b, int at) {
            int len = b[at + 1] & 0xff;
            int off = at + 2;
            if (len > 0x80) {
                int n = len - 0x80;
                len = 0;
                for (int i = 0; i < n; i++) len = (len << 8) | (b[off + i] & 0xff);
                off += n;
            }
            return new int[]{off, len};
        }

        private static byte[] tlv(int tag, byte[] content) {
            int n = content.length;
            byte[] len = n < 0x80 ? new byte[]{(byte) n} : n < 0x100 ? new byte[]{(byte) 0x81, (byte) n}
                    : n < 0x10000 ? new byte[]{(byte) 0x82, (byte) (n >> 8), (byte) n} : new byte[]{(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
            return concat(new byte[]{(byte) tag}, len, content);
        }

        private static byte[] concat(byte[]... parts) {
            int n = 0;
            for (byte[] p : parts) n += p.length;
            byte[] out = new byte[n];
            int i = 0;
            for (byte[] p : parts) {
                System.arraycopy(p, 0, out, i, p.length);
                i += p.length;
            }
            return out;
        }
    }
}
