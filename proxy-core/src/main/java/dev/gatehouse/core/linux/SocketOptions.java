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

  private static String bindToDeviceAdvice(int errno, String interfaceName) {
    return switch (errno) {
      case Libc.ENODEV -> "there is no interface named \"" + interfaceName
          + "\" in this network namespace (ip link show)";
      case Libc.EPERM -> "changing the device a socket is bound to needs CAP_NET_RAW";
      default -> "";
    };
  }
}
