package dev.gatehouse.core.config;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A secret value from the configuration (a pre-shared key, a private key, a token). It
 * never prints: {@link #toString()} is redacted, so a secret that reaches a log line, a
 * metric or an exception message shows as {@code <redacted>}.
 */
public final class Secret {
  private final byte[] value;

  private Secret(byte[] value) {
    this.value = value;
  }

  /** A secret held in a configuration text. */
  public static Secret of(String text) {
    return new Secret(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A secret from raw bytes; the array is copied. */
  public static Secret of(byte[] bytes) {
    return new Secret(bytes.clone());
  }

  /** A copy of the secret's bytes; callers wipe it when done. */
  public byte[] reveal() {
    return value.clone();
  }

  /** The secret as UTF-8 text, for settings that are text (tokens, encoded keys). */
  public String revealText() {
    return new String(value, StandardCharsets.UTF_8);
  }

  public int lengthBytes() {
    return value.length;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Secret s && java.security.MessageDigest.isEqual(value, s.value);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "<redacted>";
  }
}
