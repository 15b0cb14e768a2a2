package dev.gatehouse.appliance.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain-socket origin on a loopback ephemeral port. Each accepted connection is handed
 * to {@code handler} on a virtual thread of its own; whatever it throws is kept and
 * rethrown by {@link #close} so that a failed origin-side check fails the test.
 */
public final class TestOrigin implements AutoCloseable {

  /** What the origin does with one accepted connection. */
  @FunctionalInterface
  public interface Handler {
    void handle(Socket connection) throws Exception;
  }

  private final ServerSocket server;
  private final Handler handler;
  private final List<Socket> connections = new CopyOnWriteArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();

  public TestOrigin(Handler handler) throws IOException {
    this(InetAddress.getLoopbackAddress(), handler);
  }

  public TestOrigin(InetAddress address, Handler handler) throws IOException {
    this.server = new ServerSocket(0, 50, address);
    this.handler = handler;
    Thread.ofVirtual().name("test-origin-accept").start(this::acceptLoop);
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** How many connections the origin accepted. */
  public int acceptedConnections() {
    return accepted.get();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket connection = server.accept();
        accepted.incrementAndGet();
        connections.add(connection);
        Thread.ofVirtual().name("test-origin-conn").start(() -> serve(connection));
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket connection) {
    try (connection) {
      handler.handle(connection);
    } catch (Throwable t) {
      if (!server.isClosed()) {
        failures.add(t);
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket connection : connections) {
      connection.close();
    }
    if (!failures.isEmpty()) {
      AssertionError error = new AssertionError("the test origin failed: " + failures.get(0));
      failures.forEach(error::addSuppressed);
      throw error;
    }
  }
}
