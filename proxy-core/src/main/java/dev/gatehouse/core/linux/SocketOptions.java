package dev.gatehouse.core.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Socket options Netty's channels do not offer, set on a descriptor that some other owner
 * (a Netty channel, a {@link PingSocket}) keeps open.
 */
public final class SocketOptions {

  private SocketOptions() {}

  /**
   * SO_BINDTODEVICE (socket(7)): the socket sends and receives only through
   * {@code interfaceName}. Set it before the socket connects, so that the route is chosen
   * through that interface.
   *
   * @param description what the socket is, for the error message
   * @throws NativeException ENODEV when there is no such interface, EPERM without CAP_NET_RAW
   */
  public static void bindToDevice(int fd, String interfaceName, String description)
      throws IOException {
    byte[] name = Structs.interfaceNameBytes(interfaceName);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment value = arena.allocate(Structs.IFNAMSIZ);
      MemorySegment.copy(name, 0, value, ValueLayout.JAVA_BYTE, 0, name.length);
      int result = Libc.setsockopt(
          fd, Libc.SOL_SOCKET, Libc.SO_BINDTODEVICE, value, name.length + 1);
      if (result < 0) {
        throw new NativeException(
            "setsockopt(SO_BINDTODEVICE, \"" + interfaceName + "\") of " + description,
            -result, bindToDeviceAdvice(-result, interfaceName));
      }
    }
  }

  /**
   * IP_TTL (ip(7)) or IPV6_UNICAST_HOPS (ipv6(7), RFC 3493 §5.1): the Time to Live or Hop
   * Limit of the unicast packets the socket sends from now on.
   *
   * @param ipv6 whether the socket is an AF_INET6 one
   * @param hopLimit 1 to 255
   * @throws NativeException EINVAL for a value out of range
   */
  public static void setUnicastHopLimit(int fd, boolean ipv6, int hopLimit, String description)
      throws IOException {
    setInt(fd, ipv6 ? Libc.SOL_IPV6 : Libc.SOL_IP, ipv6 ? Libc.IPV6_UNICAST_HOPS : Libc.IP_TTL,
        hopLimit, (ipv6 ? "IPV6_UNICAST_HOPS" : "IP_TTL") + "=" + hopLimit, description);
  }

  /**
   * IP_RECVERR (ip(7)) or IPV6_RECVERR (ipv6(7)): the kernel queues every ICMP error about
   * the socket's packets, with the address of the node that sent it, on the socket's error
   * queue, which {@link ErrorQueue#drain} reads. Without it a UDP or ping socket learns of
   * hard errors alone, and never who reported them.
   *
   * @param ipv6 whether the socket is an AF_INET6 one
   */
  public static void enableErrorQueue(int fd, boolean ipv6, String description)
      throws IOException {
    setInt(fd, ipv6 ? Libc.SOL_IPV6 : Libc.SOL_IP, ipv6 ? Libc.IPV6_RECVERR : Libc.IP_RECVERR,
        1, ipv6 ? "IPV6_RECVERR" : "IP_RECVERR", description);
  }

  /**
   * SO_RCVBUFFORCE and SO_SNDBUFFORCE (socket(7)): receive and send buffers of {@code bytes}
   * each, past the net.core.rmem_max and wmem_max caps that SO_RCVBUF and SO_SNDBUF obey.
   * The kernel doubles the value for its bookkeeping, as for the plain options.
   *
   * @throws NativeException EPERM without CAP_NET_ADMIN
   */
  public static void forceBufferSizes(int fd, int bytes, String description) throws IOException {
    setInt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, bytes, "SO_RCVBUFFORCE=" + bytes, description);
    setInt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUFFORCE, bytes, "SO_SNDBUFFORCE=" + bytes, description);
  }

  private static void setInt(int fd, int level, int name, int value, String option,
      String description) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment segment = arena.allocate(ValueLayout.JAVA_INT);
      segment.set(ValueLayout.JAVA_INT, 0, value);
      int result = Libc.setsockopt(fd, level, name, segment, Integer.BYTES);
      if (result < 0) {
        throw new NativeException("setsockopt(" + option + ") of " + description, -result, "");
      }
    }
  }

  private static String bindToDeviceAdvice(int errno, String interfaceName) {
    return switch (errno) {
      case Libc.ENODEV -> "there is no interface named \"" + interfaceName
          + "\" in this network namespace (ip link show)";
      case Libc.EPERM -> "changing the device a socket is bound to needs CAP_NET_RAW";
      default -> "";
    };
  }
}
