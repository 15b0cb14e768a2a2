package dev.gatehouse.core.tunnel;

import java.util.Objects;

/**
 * A configuration file for a tunnel's peer to run on its own side, such as a
 * {@code wg-quick} file: the one output of the appliance that may carry secrets, because it
 * is meant for the peer alone. It prints as {@code <redacted>}, so that it cannot reach a
 * log by accident.
 *
 * @param text the file, as the peer's software reads it, ending in a newline
 * @param holdsSecrets whether {@code text} holds a key the peer must keep secret (its
 *     private key, a preshared key): the caller warns whoever receives it
 */
public record PeerConfiguration(String text, boolean holdsSecrets) {

  public PeerConfiguration {
    Objects.requireNonNull(text, "text");
  }

  @Override
  public String toString() {
    return "PeerConfiguration[text=<redacted>, holdsSecrets=" + holdsSecrets + "]";
  }
}
