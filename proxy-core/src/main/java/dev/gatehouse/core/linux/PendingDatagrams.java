package dev.gatehouse.core.linux;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * Reads a datagram waiting on a non-blocking socket that Netty owns, outside Netty's own
 * read path. Netty's epoll transport is edge-triggered: when a read reports an error (an
 * ICMP error queued with IP_RECVERR comes first), datagrams that arrived meanwhile get no
 * new readiness and would wait for the next packet. A flow that has handled the error reads
 * them itself, on the channel's own loop. An error path: it allocates per call.
 */
public final class PendingDatagrams {

  private PendingDatagrams() {}

  /**
   * Receives one datagram into {@code dst}'s writable bytes (a direct buffer), moving its
   * writer index past it.
   *
   * @return the sender, or {@code null} when nothing is waiting
   * @throws NativeException when the socket reports an error instead (such as another
   *     queued ICMP error's errno)
   */
  public static InetSocketAddress receive(int fd, ByteBuf dst, String description) throws IOException {
    if (!dst.hasMemoryAddress()) {
      throw new IllegalArgumentException("expected a direct buffer with a memory address");
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment source = arena.allocate(Structs.SOCKADDR_MAX_BYTES);
      MemorySegment sourceLength = arena.allocate(ValueLayout.JAVA_INT);
      sourceLength.set(ValueLayout.JAVA_INT, 0, (int) Structs.SOCKADDR_MAX_BYTES);
      long result = Libc.recvfromAt(fd, dst.memoryAddress() + dst.writerIndex(), dst.writableBytes(),
          source, sourceLength);
      if (result == -Libc.EAGAIN) {
        return null;
      }
      if (result < 0) {
        throw new NativeException("recvfrom of " + description, (int) -result, "");
      }
      dst.writerIndex(dst.writerIndex() + (int) result);
      return new InetSocketAddress(Structs.readSockaddrAddress(source), Structs.readSockaddrPort(source));
    }
  }
}
