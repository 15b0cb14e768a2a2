package dev.gatehouse.core.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Brings a network interface up and sets its MTU and IPv4 address, through the interface
 * ioctls of netdevice(7), in the calling thread's network namespace. Each call needs
 * CAP_NET_ADMIN except the reads ({@link #isUp}, {@link #mtu}).
 *
 * <p>IPv6 addresses, routes and {@code txqueuelen} are left to the caller, for example
 * {@code ip -6 address add 2001:2::1/64 dev gh0} and {@code ip link set gh0 txqueuelen 5000}:
 * the ioctls for them are either missing or clumsier than rtnetlink, which this class does
 * not speak.
 */
public final class LinkControl {

  private LinkControl() {}

  /** Sets IFF_UP on {@code interfaceName}, leaving its other flags as they are. */
  public static void bringUp(String interfaceName) throws NativeException {
    setUp(interfaceName, true);
  }

  /** Clears IFF_UP on {@code interfaceName}. */
  public static void bringDown(String interfaceName) throws NativeException {
    setUp(interfaceName, false);
  }

  /** Whether {@code interfaceName} is administratively up (IFF_UP). */
  public static boolean isUp(String interfaceName) throws NativeException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment ifreq = Structs.ifreq(arena, interfaceName);
      ioctl(Libc.SIOCGIFFLAGS, "SIOCGIFFLAGS", ifreq, interfaceName);
      return (Structs.ifreqFlags(ifreq) & Libc.IFF_UP) != 0;
    }
  }

  /**
   * Sets the MTU of {@code interfaceName}.
   *
   * @throws NativeException EINVAL when the device does not take that MTU (TUN: 68 to 65535)
   */
  public static void setMtu(String interfaceName, int mtuBytes) throws NativeException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment ifreq = Structs.ifreq(arena, interfaceName);
      Structs.setIfreqMtu(ifreq, mtuBytes);
      ioctl(Libc.SIOCSIFMTU, "SIOCSIFMTU " + mtuBytes, ifreq, interfaceName);
    }
  }

  /** The MTU of {@code interfaceName}, in bytes. */
  public static int mtu(String interfaceName) throws NativeException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment ifreq = Structs.ifreq(arena, interfaceName);
      ioctl(Libc.SIOCGIFMTU, "SIOCGIFMTU", ifreq, interfaceName);
      return Structs.ifreqMtu(ifreq);
    }
  }

  /**
   * Gives {@code interfaceName} the IPv4 address {@code address/prefixLength}, replacing its
   * primary IPv4 address if it had one; the kernel adds the route to the prefix.
   */
  public static void setIpv4Address(String interfaceName, Inet4Address address, int prefixLength)
      throws NativeException {
    Inet4Address netmask = netmask(prefixLength);
    try (Arena arena = Arena.ofConfined()) {
      // SIOCSIFADDR picks the classful mask; SIOCSIFNETMASK then narrows it and the route.
      MemorySegment ifreq = Structs.ifreq(arena, interfaceName);
      Structs.setIfreqAddress(ifreq, address);
      ioctl(Libc.SIOCSIFADDR, "SIOCSIFADDR " + address.getHostAddress(), ifreq, interfaceName);
      Structs.setIfreqAddress(ifreq, netmask);
      ioctl(Libc.SIOCSIFNETMASK, "SIOCSIFNETMASK " + netmask.getHostAddress(), ifreq,
          interfaceName);
    }
  }

  private static void setUp(String interfaceName, boolean up) throws NativeException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment ifreq = Structs.ifreq(arena, interfaceName);
      ioctl(Libc.SIOCGIFFLAGS, "SIOCGIFFLAGS", ifreq, interfaceName);
      short flags = Structs.ifreqFlags(ifreq);
      Structs.setIfreqFlags(ifreq, (short) (up ? flags | Libc.IFF_UP : flags & ~Libc.IFF_UP));
      ioctl(Libc.SIOCSIFFLAGS, up ? "SIOCSIFFLAGS +IFF_UP" : "SIOCSIFFLAGS -IFF_UP", ifreq,
          interfaceName);
    }
  }

  /** Runs one interface ioctl on a throwaway AF_INET socket, as netdevice(7) describes. */
  private static void ioctl(long request, String requestName, MemorySegment ifreq,
      String interfaceName) throws NativeException {
    String call = "ioctl(" + requestName + ", \"" + interfaceName + "\")";
    int socket = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
    if (socket < 0) {
      throw new NativeException("socket(AF_INET, SOCK_DGRAM, 0) for " + call, -socket, "");
    }
    try {
      int result = Libc.ioctl(socket, request, ifreq);
      if (result < 0) {
        throw new NativeException(call, -result, advice(-result, interfaceName));
      }
    } finally {
      Libc.close(socket);
    }
  }

  static Inet4Address netmask(int prefixLength) {
    if (prefixLength < 0 || prefixLength > 32) {
      throw new IllegalArgumentException("expected an IPv4 prefix length from 0 to 32, got "
          + prefixLength);
    }
    int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    byte[] bytes = {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
    try {
      return (Inet4Address) InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("four bytes are always an IPv4 address", e);
    }
  }

  private static String advice(int errno, String interfaceName) {
    return switch (errno) {
      case Libc.ENODEV -> "there is no interface named \"" + interfaceName
          + "\" in this network namespace (ip link show)";
      case Libc.EPERM, Libc.EACCES -> "configuring an interface needs CAP_NET_ADMIN: run as"
          + " root or start the container with --cap-add NET_ADMIN";
      case Libc.EINVAL -> "the device refused the value (a TUN device takes an MTU from 68"
          + " to 65535)";
      default -> "";
    };
  }
}
