package dev.gatehouse.testbed.quic;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway self-signed certificate made by openssl the way the origin image makes its
 * own: P-256, PKCS#8 key, names {@code origin.test}, {@code blocked.test} and
 * {@code www.blocked.test}.
 *
 * @param certificate the PEM certificate, also the only CA a probe needs to trust
 * @param privateKey the PEM PKCS#8 key
 */
record TestCertificate(Path certificate, Path privateKey) {
  static final String HOST = "origin.test";

  /** Writes {@code cert.pem} and {@code key.pem} into {@code directory}; fails if openssl does. */
  static TestCertificate makeIn(Path directory) throws IOException, InterruptedException {
    Path certificate = directory.resolve("cert.pem");
    Path privateKey = directory.resolve("key.pem");
    Path log = directory.resolve("openssl.log");
    Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec",
        "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-keyout", privateKey.toString(), "-out", certificate.toString(), "-subj", "/CN=" + HOST,
        "-addext", "subjectAltName=DNS:origin.test,DNS:blocked.test,DNS:www.blocked.test")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    if (!openssl.waitFor(30, TimeUnit.SECONDS) || openssl.exitValue() != 0) {
      openssl.destroyForcibly();
      throw new IllegalStateException("openssl could not make a certificate:\n" + Files.readString(log));
    }
    return new TestCertificate(certificate, privateKey);
  }
}
