package dev.gatehouse.core.linux;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The C structures this package passes to Linux: socket addresses and {@code struct ifreq},
 * laid out as on x86_64 and aarch64, with the few reads and writes the callers need.
 */
final class Structs {

  /** IFNAMSIZ, {@code <linux/if.h>}: interface names are at most 15 bytes and a NUL. */
  static final int IFNAMSIZ = 16;

  /** {@code struct sockaddr_in}, {@code <netinet/in.h>}: port and address in network order. */
  static final StructLayout SOCKADDR_IN = structLayout(
      JAVA_SHORT.withName("sin_family"),
      JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN).withName("sin_port"),
      sequenceLayout(4, JAVA_BYTE).withName("sin_addr"),
      MemoryLayout.paddingLayout(8))
      .withName("sockaddr_in");

  /** {@code struct sockaddr_in6}, {@code <netinet/in.h>}; RFC 3493 §3.3. */
  static final StructLayout SOCKADDR_IN6 = structLayout(
      JAVA_SHORT.withName("sin6_family"),
      JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN).withName("sin6_port"),
      JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN).withName("sin6_flowinfo"),
      sequenceLayout(16, JAVA_BYTE).withName("sin6_addr"),
      JAVA_INT.withName("sin6_scope_id"))
      .withName("sockaddr_in6");

  /**
   * {@code struct ifreq}, {@code <linux/if.h>}: a name, then a union of which the interface
   * ioctls use one member each. {@code struct ifmap}, the largest member (two longs and
   * five bytes of ISA-era settings), makes the union 24 bytes.
   */
  static final StructLayout IFREQ = structLayout(
      sequenceLayout(IFNAMSIZ, JAVA_BYTE).withName("ifr_name"),
      unionLayout(
          SOCKADDR_IN.withName("ifr_addr"),
          JAVA_SHORT.withName("ifr_flags"),
          JAVA_INT.withName("ifr_mtu"),
          sequenceLayout(24, JAVA_BYTE).withName("ifr_map"))
          .withName("ifr_ifru"))
      .withName("ifreq");

  /** {@code struct pollfd}, {@code <poll.h>}. */
  static final StructLayout POLLFD = structLayout(
      JAVA_INT.withName("fd"),
      JAVA_SHORT.withName("events"),
      JAVA_SHORT.withName("revents"))
      .withName("pollfd");

  /** {@code struct timeval}, {@code <sys/time.h>}, with the 64-bit time_t of both ABIs. */
  static final StructLayout TIMEVAL = structLayout(
      JAVA_LONG.withName("tv_sec"),
      JAVA_LONG.withName("tv_usec"))
      .withName("timeval");

  private static final VarHandle FAMILY = SOCKADDR_IN.varHandle(groupElement("sin_family"));
  private static final VarHandle SIN_PORT = SOCKADDR_IN.varHandle(groupElement("sin_port"));
  private static final long SIN_ADDR = SOCKADDR_IN.byteOffset(groupElement("sin_addr"));
  private static final VarHandle SIN6_PORT = SOCKADDR_IN6.varHandle(groupElement("sin6_port"));
  private static final long SIN6_ADDR = SOCKADDR_IN6.byteOffset(groupElement("sin6_addr"));
  private static final VarHandle SIN6_SCOPE_ID =
      SOCKADDR_IN6.varHandle(groupElement("sin6_scope_id"));

  private static final VarHandle IFR_FLAGS =
      IFREQ.varHandle(groupElement("ifr_ifru"), groupElement("ifr_flags"));
  private static final VarHandle IFR_MTU =
      IFREQ.varHandle(groupElement("ifr_ifru"), groupElement("ifr_mtu"));
  private static final long IFR_ADDR =
      IFREQ.byteOffset(groupElement("ifr_ifru"), groupElement("ifr_addr"));

  private static final VarHandle POLL_FD = POLLFD.varHandle(groupElement("fd"));
  private static final VarHandle POLL_EVENTS = POLLFD.varHandle(groupElement("events"));
  private static final VarHandle POLL_REVENTS = POLLFD.varHandle(groupElement("revents"));
  private static final VarHandle TV_SEC = TIMEVAL.varHandle(groupElement("tv_sec"));
  private static final VarHandle TV_USEC = TIMEVAL.varHandle(groupElement("tv_usec"));

  /** Room for either socket address: what a receive must offer the kernel. */
  static final long SOCKADDR_MAX_BYTES = SOCKADDR_IN6.byteSize();

  private Structs() {}

  /**
   * Writes {@code address} and {@code port} as a sockaddr of the address's own family.
   *
   * @return the length of the sockaddr written, to pass along with it
   */
  static int writeSockaddr(MemorySegment dst, InetAddress address, int port) {
    if (address instanceof Inet4Address) {
      dst.asSlice(0, SOCKADDR_IN.byteSize()).fill((byte) 0);
      FAMILY.set(dst, 0L, (short) Libc.AF_INET);
      SIN_PORT.set(dst, 0L, (short) port);
      MemorySegment.copy(address.getAddress(), 0, dst, JAVA_BYTE, SIN_ADDR, 4);
      return (int) SOCKADDR_IN.byteSize();
    }
    Inet6Address v6 = (Inet6Address) address;
    dst.asSlice(0, SOCKADDR_IN6.byteSize()).fill((byte) 0);
    FAMILY.set(dst, 0L, (short) Libc.AF_INET6);
    SIN6_PORT.set(dst, 0L, (short) port);
    MemorySegment.copy(v6.getAddress(), 0, dst, JAVA_BYTE, SIN6_ADDR, 16);
    SIN6_SCOPE_ID.set(dst, 0L, v6.getScopeId());
    return (int) SOCKADDR_IN6.byteSize();
  }

  /**
   * Whether the sockaddr in {@code src} holds {@code address} (4 or 16 bytes, network order)
   * with {@code scopeId} (0 for IPv4); the port is not compared. Allocates nothing.
   */
  static boolean sockaddrHolds(MemorySegment src, byte[] address, int scopeId) {
    short family = (short) FAMILY.get(src, 0L);
    long offset;
    if (family == Libc.AF_INET && address.length == 4) {
      offset = SIN_ADDR;
    } else if (family == Libc.AF_INET6 && address.length == 16
        && (int) SIN6_SCOPE_ID.get(src, 0L) == scopeId) {
      offset = SIN6_ADDR;
    } else {
      return false;
    }
    for (int i = 0; i < address.length; i++) {
      if (src.get(JAVA_BYTE, offset + i) != address[i]) {
        return false;
      }
    }
    return true;
  }

  /** The address of the sockaddr in {@code src}, as a new {@link InetAddress}. */
  static InetAddress readSockaddrAddress(MemorySegment src) {
    short family = (short) FAMILY.get(src, 0L);
    try {
      if (family == Libc.AF_INET) {
        return InetAddress.getByAddress(src.asSlice(SIN_ADDR, 4).toArray(JAVA_BYTE));
      }
      if (family == Libc.AF_INET6) {
        byte[] bytes = src.asSlice(SIN6_ADDR, 16).toArray(JAVA_BYTE);
        int scopeId = (int) SIN6_SCOPE_ID.get(src, 0L);
        return scopeId == 0
            ? InetAddress.getByAddress(bytes)
            : Inet6Address.getByAddress(null, bytes, scopeId);
      }
    } catch (UnknownHostException e) {
      throw new AssertionError("a 4- or 16-byte address is always valid", e);
    }
    throw new IllegalStateException("expected an AF_INET or AF_INET6 sockaddr, got family "
        + family);
  }

  /** The port of the sockaddr in {@code src}; ICMP ping sockets keep the echo id there. */
  static int readSockaddrPort(MemorySegment src) {
    short family = (short) FAMILY.get(src, 0L);
    short port = family == Libc.AF_INET6
        ? (short) SIN6_PORT.get(src, 0L)
        : (short) SIN_PORT.get(src, 0L);
    return Short.toUnsignedInt(port);
  }

  static void setPollFd(MemorySegment pollFd, int fd, short events) {
    POLL_FD.set(pollFd, 0L, fd);
    POLL_EVENTS.set(pollFd, 0L, events);
    POLL_REVENTS.set(pollFd, 0L, (short) 0);
  }

  static short pollFdReturnedEvents(MemorySegment pollFd) {
    return (short) POLL_REVENTS.get(pollFd, 0L);
  }

  static void setTimeval(MemorySegment timeval, long millis) {
    TV_SEC.set(timeval, 0L, millis / 1000);
    TV_USEC.set(timeval, 0L, millis % 1000 * 1000);
  }

  /**
   * A zeroed {@code struct ifreq} naming {@code interfaceName}.
   *
   * @throws IllegalArgumentException if the name is not 1 to 15 bytes of ASCII
   */
  static MemorySegment ifreq(Arena arena, String interfaceName) {
    MemorySegment ifreq = arena.allocate(IFREQ);
    byte[] name = interfaceNameBytes(interfaceName);
    MemorySegment.copy(name, 0, ifreq, JAVA_BYTE, 0, name.length);
    return ifreq;
  }

  /** The name in a {@code struct ifreq}, as the kernel filled it in. */
  static String ifreqName(MemorySegment ifreq) {
    return ifreq.getString(0, StandardCharsets.US_ASCII);
  }

  static short ifreqFlags(MemorySegment ifreq) {
    return (short) IFR_FLAGS.get(ifreq, 0L);
  }

  static void setIfreqFlags(MemorySegment ifreq, short flags) {
    IFR_FLAGS.set(ifreq, 0L, flags);
  }

  static int ifreqMtu(MemorySegment ifreq) {
    return (int) IFR_MTU.get(ifreq, 0L);
  }

  static void setIfreqMtu(MemorySegment ifreq, int mtuBytes) {
    IFR_MTU.set(ifreq, 0L, mtuBytes);
  }

  /** Writes an IPv4 address (port 0) into the {@code ifr_addr} member. */
  static void setIfreqAddress(MemorySegment ifreq, Inet4Address address) {
    writeSockaddr(ifreq.asSlice(IFR_ADDR, SOCKADDR_IN.byteSize()), address, 0);
  }

  /**
   * The bytes of an interface name, checked against what fits a {@code struct ifreq}. The
   * kernel has more rules ({@code dev_valid_name}: no '/', ':' or white space, not "." or
   * "..") and reports them itself as EINVAL.
   */
  static byte[] interfaceNameBytes(String interfaceName) {
    byte[] name = interfaceName.getBytes(StandardCharsets.US_ASCII);
    boolean ascii = new String(name, StandardCharsets.US_ASCII).equals(interfaceName);
    if (!ascii || name.length == 0 || name.length >= IFNAMSIZ) {
      throw new IllegalArgumentException("expected an interface name of 1 to "
          + (IFNAMSIZ - 1) + " ASCII characters, got \"" + interfaceName + "\"");
    }
    return name;
  }
}
