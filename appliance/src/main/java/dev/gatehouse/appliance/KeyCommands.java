package dev.gatehouse.appliance;

import dev.gatehouse.core.crypto.X25519Keys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code gatehouse genkey} and {@code gatehouse pubkey}: X25519 keys in the form
 * {@code wg genkey} and {@code wg pubkey} read and write, so that either tool's keys work in
 * the other and in a {@code type: wireguard} tunnel's configuration.
 */
final class KeyCommands {
  /** Far more than a key and its newline; a longer input is refused unread, not buffered. */
  static final int MAX_INPUT_BYTES = 1024;

  private KeyCommands() {}

  /** {@code gatehouse genkey}: a new private key on standard output. */
  @Command(name = "genkey", mixinStandardHelpOptions = true,
      description = "Print a new private key: 32 random bytes, clamped (RFC 7748), in base64, as wg genkey does.")
  static final class GenKey implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      byte[] key = X25519Keys.generatePrivateKey(new SecureRandom());
      try {
        spec.commandLine().getOut().println(X25519Keys.toBase64(key));
      } finally {
        X25519Keys.zero(key);
      }
      return GatehouseCommand.EXIT_OK;
    }
  }

  /** {@code gatehouse pubkey}: the public key of the private key on standard input. */
  @Command(name = "pubkey", mixinStandardHelpOptions = true,
      description = "Read a base64 private key from standard input and print its public key, as wg pubkey does.")
  static final class PubKey implements Callable<Integer> {
    @Spec CommandSpec spec;
    @ParentCommand GatehouseCommand parent;

    @Override
    public Integer call() throws IOException {
      byte[] input = read(parent.stdin());
      byte[] privateKey = null;
      try {
        privateKey = X25519Keys.fromBase64(new String(input, StandardCharsets.UTF_8));
        spec.commandLine().getOut().println(X25519Keys.toBase64(X25519Keys.publicKey(privateKey)));
        return GatehouseCommand.EXIT_OK;
      } catch (IllegalArgumentException e) {
        // the message names the input's length or form, never the input
        spec.commandLine().getErr().println("gatehouse: pubkey: standard input: " + e.getMessage());
        return GatehouseCommand.EXIT_FAILED;
      } finally {
        X25519Keys.zero(input);
        X25519Keys.zero(privateKey);
      }
    }

    /** At most {@link #MAX_INPUT_BYTES}; more is cut there, which the length check refuses. */
    private static byte[] read(InputStream in) throws IOException {
      byte[] buffer = new byte[MAX_INPUT_BYTES];
      int length = in.readNBytes(buffer, 0, buffer.length);
      byte[] input = Arrays.copyOf(buffer, length);
      X25519Keys.zero(buffer);
      return input;
    }
  }
}
