package dev.gatehouse.testbed.quic;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The origin's command line, parsed; see {@link Http3Origin} for what each option means.
 *
 * @param certificate the PEM certificate chain
 * @param privateKey the PEM PKCS#8 private key, unencrypted
 * @param bind the local address; the wildcard (dual stack where the host has IPv6) if empty
 * @param port the UDP port, and the TCP port with {@code http2}
 * @param http3 whether to serve HTTP/3 on UDP
 * @param http2 whether to serve HTTP/2 over TLS on TCP
 */
public record OriginOptions(Path certificate, Path privateKey, Optional<InetAddress> bind, int port,
    boolean http3, boolean http2) {
  static final int DEFAULT_PORT = 443;
  static final String USAGE = "usage: Http3Origin --cert FILE --key FILE [--bind ADDRESS] [--port N]"
      + " [--h2 | --h2-only]";

  /** The socket address to bind, UDP and TCP alike. */
  InetSocketAddress socketAddress() {
    return bind.map(address -> new InetSocketAddress(address, port)).orElseGet(() -> new InetSocketAddress(port));
  }

  /** Parses {@code args}; throws {@link IllegalArgumentException} saying what was expected. */
  static OriginOptions parse(String... args) {
    Path certificate = null;
    Path privateKey = null;
    Optional<InetAddress> bind = Optional.empty();
    int port = DEFAULT_PORT;
    boolean http3 = true;
    boolean http2 = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--cert" -> certificate = Path.of(value(args, ++i));
        case "--key" -> privateKey = Path.of(value(args, ++i));
        case "--bind" -> bind = Optional.of(InetAddress.ofLiteral(value(args, ++i)));
        case "--port" -> port = Integer.parseInt(value(args, ++i));
        case "--h2" -> http2 = true;
        case "--h2-only" -> {
          http2 = true;
          http3 = false;
        }
        default -> throw new IllegalArgumentException("unexpected argument " + args[i]);
      }
    }
    if (certificate == null || privateKey == null) {
      throw new IllegalArgumentException("expected --cert and --key");
    }
    if (port < 0 || port > 0xffff) {
      throw new IllegalArgumentException("expected a port from 0 to 65535, not " + port);
    }
    return new OriginOptions(certificate, privateKey, bind, port, http3, http2);
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException("expected a value after " + args[i - 1]);
    }
    return args[i];
  }
}
