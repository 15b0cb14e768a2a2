package dev.gatehouse.ingress.tun;

import dev.gatehouse.core.config.IpPrefix;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host configuration that {@link dev.gatehouse.core.linux.LinkControl}'s ioctls cannot
 * do (IPv6 addresses, routes, the transmit queue length), done by iproute2's {@code ip}.
 *
 * <p>A child process lives in the network namespace of the thread that starts it, so each
 * command applies where the device was opened as long as the same thread, or a thread of
 * the same namespace, calls. {@code ip} must be on the PATH (Debian: iproute2).
 */
final class IpCommand {
  // TODO(#9): speak rtnetlink through FFM instead, and drop the dependency on iproute2.

  private static final long TIMEOUT_SECONDS = 10;
  /** Enough of ip's output to explain a failure; it prints one line. */
  private static final int MAX_OUTPUT_BYTES = 4096;

  private IpCommand() {}

  /**
   * Gives {@code device} an IPv6 address. {@code nodad}: nobody else is on a TUN "link" to
   * hold the address, and a tentative address could not be used until Duplicate Address
   * Detection ends (RFC 4862 §5.4).
   */
  static void addAddressV6(String device, IpPrefix address) throws IOException {
    run("-6", "address", "add", address.toString(), "dev", device, "nodad");
  }

  static void setTxQueueLength(String device, int packets) throws IOException {
    run("link", "set", "dev", device, "txqueuelen", Integer.toString(packets));
  }

  /** Points {@code route} at {@code device}, replacing any route to the same prefix. */
  static void replaceRoute(String device, IpPrefix route) throws IOException {
    run(family(route), "route", "replace", route.toString(), "dev", device);
  }

  /** Removes the route to {@code route} through {@code device}, and only that one. */
  static void deleteRoute(String device, IpPrefix route) throws IOException {
    run(family(route), "route", "del", route.toString(), "dev", device);
  }

  private static String family(IpPrefix prefix) {
    return prefix.address() instanceof Inet6Address ? "-6" : "-4";
  }

  private static void run(String... arguments) throws IOException {
    List<String> command = new ArrayList<>(arguments.length + 1);
    command.add("ip");
    command.addAll(List.of(arguments));
    String shown = String.join(" ", command);

    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException(shown + " could not start: " + e.getMessage()
          + "; the TUN ingress needs iproute2's ip on the PATH", e);
    }

    try (InputStream output = process.getInputStream()) {
      process.getOutputStream().close();
      // ip prints a line at most, far less than a pipe holds: waiting first cannot stall it
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new IOException(shown + " did not finish within " + TIMEOUT_SECONDS + " s");
      }
      byte[] text = output.readNBytes(MAX_OUTPUT_BYTES);
      if (process.exitValue() != 0) {
        throw new IOException(shown + " failed with exit status " + process.exitValue() + ": "
            + new String(text, StandardCharsets.UTF_8).strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(shown + " was interrupted", e);
    } finally {
      process.destroyForcibly();
    }
  }
}
