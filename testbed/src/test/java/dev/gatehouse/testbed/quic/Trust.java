package dev.gatehouse.testbed.quic;

import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Optional;

/**
 * Which server certificates the probe accepts, the same for QUIC and TCP: any at all
 * ({@code --insecure}), or those that chain to {@code --cacert} (the JDK's trust store
 * without it) and name the URL's host.
 *
 * @param insecure accept any certificate for any name
 * @param caCertificates a PEM file of the certificates to trust instead of the JDK's
 */
record Trust(boolean insecure, Optional<Path> caCertificates) {
  /** RFC 2818 host name checks, as the JDK calls them. */
  private static final String HTTPS_IDENTIFICATION = "HTTPS";

  /**
   * Checks that {@code --cacert} holds a certificate now, so that a wrong file is a usage
   * error rather than a failed handshake; throws {@link IllegalArgumentException} if not.
   */
  Trust {
    caCertificates.ifPresent(Trust::requireCertificates);
  }

  private static void requireCertificates(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
        throw new IllegalArgumentException("expected PEM certificates in " + file);
      }
    } catch (IOException | CertificateException e) {
      throw new IllegalArgumentException("expected PEM certificates in " + file + ": " + e.getMessage(), e);
    }
  }

  void applyTo(QuicSslContextBuilder builder) {
    if (insecure) {
      builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
      return;
    }
    caCertificates.ifPresent(file -> builder.trustManager(file.toFile()));
    builder.endpointIdentificationAlgorithm(HTTPS_IDENTIFICATION);
  }

  void applyTo(SslContextBuilder builder) {
    if (insecure) {
      // Netty 4.2 checks host names by default, which "any certificate" must switch off too
      builder.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
      return;
    }
    caCertificates.ifPresent(file -> builder.trustManager(file.toFile()));
    builder.endpointIdentificationAlgorithm(HTTPS_IDENTIFICATION);
  }
}
