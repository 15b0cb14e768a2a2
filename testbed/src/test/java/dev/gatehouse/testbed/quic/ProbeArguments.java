package dev.gatehouse.testbed.quic;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The probe's command line, parsed; see {@link Http3Probe} for what each option means.
 *
 * @param url the page to fetch
 * @param resolve a curl-style {@code host:port:address} entry
 * @param trust which certificates are accepted
 * @param h3TimeoutMillis the bound on the whole HTTP/3 attempt
 * @param fallbackTimeoutMillis the bound on the whole HTTP/2 attempt
 * @param h3Only whether to stop after the HTTP/3 attempt
 */
record ProbeArguments(URI url, Optional<String> resolve, Trust trust, long h3TimeoutMillis,
    long fallbackTimeoutMillis, boolean h3Only) {
  static final long DEFAULT_H3_TIMEOUT_MILLIS = 3000;
  static final long DEFAULT_FALLBACK_TIMEOUT_MILLIS = 10_000;
  static final String USAGE = "usage: Http3Probe [--resolve HOST:PORT:ADDRESS] [--insecure | --cacert FILE]"
      + " [--h3-timeout-ms N] [--timeout-ms N] [--h3-only] https://HOST[:PORT]/PATH";

  /** Parses {@code args}; throws {@link IllegalArgumentException} saying what was expected. */
  static ProbeArguments parse(String... args) {
    URI url = null;
    Optional<String> resolve = Optional.empty();
    boolean insecure = false;
    Optional<Path> caCertificates = Optional.empty();
    long h3TimeoutMillis = DEFAULT_H3_TIMEOUT_MILLIS;
    long fallbackTimeoutMillis = DEFAULT_FALLBACK_TIMEOUT_MILLIS;
    boolean h3Only = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--resolve" -> resolve = Optional.of(value(args, ++i));
        case "--insecure", "-k" -> insecure = true;
        case "--cacert" -> caCertificates = Optional.of(Path.of(value(args, ++i)));
        case "--h3-timeout-ms" -> h3TimeoutMillis = millis(value(args, ++i));
        case "--timeout-ms" -> fallbackTimeoutMillis = millis(value(args, ++i));
        case "--h3-only" -> h3Only = true;
        default -> url = url(args[i], url);
      }
    }
    if (url == null) {
      throw new IllegalArgumentException("expected a URL");
    }
    if (insecure && caCertificates.isPresent()) {
      throw new IllegalArgumentException("expected --insecure or --cacert, not both");
    }
    return new ProbeArguments(url, resolve, new Trust(insecure, caCertificates), h3TimeoutMillis,
        fallbackTimeoutMillis, h3Only);
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException("expected a value after " + args[i - 1]);
    }
    return args[i];
  }

  private static long millis(String value) {
    long millis = Long.parseLong(value);
    if (millis <= 0 || millis > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("expected a positive number of milliseconds, not " + value);
    }
    return millis;
  }

  private static URI url(String arg, URI earlier) {
    if (arg.startsWith("-") || earlier != null) {
      throw new IllegalArgumentException("unexpected argument " + arg);
    }
    return URI.create(arg);
  }
}
