package dev.gatehouse.core.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.util.function.IntFunction;

/**
 * A datagram-like socket (raw or ICMP ping) and the calls both kinds make: bind, bind to a
 * device, send to and receive from an address.
 *
 * <p>One thread sends and one thread receives at a time; each direction keeps its own
 * native sockaddr so that the two may run concurrently. Each direction also remembers the
 * last address it saw: sending again to the same target encodes nothing, and a datagram
 * from the same source as the last one returns the same {@link InetAddress} instance, so
 * that the steady state of a tunnel with one peer allocates nothing per packet.
 */
final class SocketFd {

  final Fd fd;
  private final int family;

  private final MemorySegment target = Arena.ofAuto().allocate(Structs.SOCKADDR_MAX_BYTES);
  private InetAddress encodedTarget;
  private int encodedTargetLength;
  private final BufferBridge sendBridge = new BufferBridge();

  private final MemorySegment source = Arena.ofAuto().allocate(Structs.SOCKADDR_MAX_BYTES);
  private final MemorySegment sourceLength = Arena.ofAuto().allocate(ValueLayout.JAVA_INT);
  private InetAddress lastSource;
  private byte[] lastSourceBytes = new byte[0];
  private int lastSourceScopeId;
  private final BufferBridge receiveBridge = new BufferBridge();

  private SocketFd(Fd fd, int family) {
    this.fd = fd;
    this.family = family;
  }

  /**
   * Opens a socket; {@code advice} turns the errno of a failed {@code socket()} into what
   * an operator should do.
   */
  static SocketFd open(ProtocolFamily family, int type, int protocol, IntFunction<String> advice)
      throws NativeException {
    int domain = domain(family);
    String call = "socket(" + (domain == Libc.AF_INET ? "AF_INET" : "AF_INET6") + ", "
        + (type == Libc.SOCK_RAW ? "SOCK_RAW" : "SOCK_DGRAM") + ", " + protocol + ")";
    int result = Libc.socket(domain, type | Libc.SOCK_CLOEXEC, protocol);
    if (result < 0) {
      throw new NativeException(call, -result, advice.apply(-result));
    }
    return new SocketFd(new Fd(result, call), domain);
  }

  /** Binds the local address; port is 0 for raw sockets and the echo id for ping sockets. */
  void bind(InetAddress local, int port) throws IOException {
    checkFamily(local);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment address = arena.allocate(Structs.SOCKADDR_MAX_BYTES);
      int length = Structs.writeSockaddr(address, local, port);
      int result = Libc.bind(fd.get(), address, length);
      if (result < 0) {
        throw new NativeException(
            "bind(" + local.getHostAddress() + ") of " + fd.description(),
            -result, bindAdvice(-result));
      }
    }
  }

  /** SO_BINDTODEVICE: only traffic through {@code interfaceName} reaches the socket. */
  void bindToDevice(String interfaceName) throws IOException {
    SocketOptions.bindToDevice(fd.get(), interfaceName, fd.description());
  }

  /** SO_RCVTIMEO: a blocking receive gives up after {@code timeoutMillis}; 0 waits forever. */
  void setReceiveTimeout(long timeoutMillis) throws IOException {
    if (timeoutMillis < 0) {
      throw new IllegalArgumentException("expected a timeout of 0 ms or more, got "
          + timeoutMillis);
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment timeval = arena.allocate(Structs.TIMEVAL);
      Structs.setTimeval(timeval, timeoutMillis);
      int result = Libc.setsockopt(fd.get(), Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, timeval,
          (int) Structs.TIMEVAL.byteSize());
      if (result < 0) {
        throw new NativeException("setsockopt(SO_RCVTIMEO) of " + fd.description(), -result, "");
      }
    }
  }

  /** The port of the local address (for a ping socket, its echo id); 0 before binding. */
  int localPort() throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment address = arena.allocate(Structs.SOCKADDR_MAX_BYTES);
      MemorySegment length = arena.allocate(ValueLayout.JAVA_INT);
      length.set(ValueLayout.JAVA_INT, 0, (int) Structs.SOCKADDR_MAX_BYTES);
      int result = Libc.getsockname(fd.get(), address, length);
      if (result < 0) {
        throw new NativeException("getsockname of " + fd.description(), -result, "");
      }
      return Structs.readSockaddrPort(address);
    }
  }

  /**
   * Sends {@code src}'s remaining bytes as one datagram; src moves past them.
   *
   * @return the bytes sent, or 0 if the socket is non-blocking and its buffer is full
   */
  int send(ByteBuffer src, InetAddress to) throws IOException {
    int length = src.remaining();
    long address = sendBridge.sendAddress(src);
    int sent = (int) sendAt(address, length, to);
    sendBridge.sent(src, sent);
    return sent;
  }

  /** Sends the first {@code length} bytes of {@code data}, native; 0 when it would block. */
  long send(MemorySegment data, long length, InetAddress to) throws IOException {
    long sent = sendAt(data.address(), length, to);
    Reference.reachabilityFence(data);
    return sent;
  }

  private long sendAt(long address, long length, InetAddress to) throws IOException {
    checkFamily(to);
    if (!to.equals(encodedTarget)) {
      encodedTargetLength = Structs.writeSockaddr(target, to, 0);
      encodedTarget = to;
    }
    long result = Libc.sendtoAt(fd.get(), address, length, target, encodedTargetLength);
    if (result == -Libc.EAGAIN) {
      return 0;
    }
    if (result < 0) {
      int errno = (int) -result;
      throw new NativeException(
          "sendto(" + to.getHostAddress() + ", " + length + " bytes) of " + fd.description(),
          errno, sendAdvice(errno));
    }
    return result;
  }

  /** Native memory of the send direction, for a caller that builds a message in place. */
  MemorySegment sendScratch(long bytes) {
    return sendBridge.scratch(bytes);
  }

  /**
   * Receives one datagram into {@code dst}, which moves past it; a datagram longer than
   * {@code dst.remaining()} is cut to fit and the rest is lost.
   *
   * @return where it came from, or {@code null} if none was waiting (non-blocking mode) or
   *     none came within the receive timeout
   */
  InetAddress receive(ByteBuffer dst) throws IOException {
    long address = receiveBridge.receiveAddress(dst);
    sourceLength.set(ValueLayout.JAVA_INT, 0, (int) Structs.SOCKADDR_MAX_BYTES);
    long result = Libc.recvfromAt(fd.get(), address, dst.remaining(), source, sourceLength);
    if (result == -Libc.EAGAIN) {
      return null;
    }
    if (result < 0) {
      throw new NativeException("recvfrom of " + fd.description(), (int) -result, "");
    }
    receiveBridge.received(dst, (int) result);
    return sourceAddress();
  }

  private InetAddress sourceAddress() {
    if (lastSource != null && Structs.sockaddrHolds(source, lastSourceBytes, lastSourceScopeId)) {
      return lastSource;
    }
    InetAddress address = Structs.readSockaddrAddress(source);
    lastSource = address;
    lastSourceBytes = address.getAddress();
    lastSourceScopeId = address instanceof Inet6Address v6 ? v6.getScopeId() : 0;
    return address;
  }

  private void checkFamily(InetAddress address) {
    boolean matches = family == Libc.AF_INET
        ? address instanceof Inet4Address
        : address instanceof Inet6Address;
    if (!matches) {
      throw new IllegalArgumentException("expected an "
          + (family == Libc.AF_INET ? "IPv4" : "IPv6") + " address for "
          + fd.description() + ", got " + address.getHostAddress());
    }
  }

  static int domain(ProtocolFamily family) {
    if (family == StandardProtocolFamily.INET) {
      return Libc.AF_INET;
    }
    if (family == StandardProtocolFamily.INET6) {
      return Libc.AF_INET6;
    }
    throw new IllegalArgumentException("expected INET or INET6, got " + family);
  }

  private static String bindAdvice(int errno) {
    return switch (errno) {
      case Libc.EADDRNOTAVAIL ->
          "the address is not assigned to any interface in this network namespace"
              + " (ip address show)";
      case Libc.EINVAL -> "the socket is already bound";
      default -> "";
    };
  }



  private static String sendAdvice(int errno) {
    return switch (errno) {
      case Libc.EMSGSIZE -> "the datagram is larger than the route's MTU allows"
          + " or than 65535 bytes";
      case Libc.ENETUNREACH, Libc.EHOSTUNREACH ->
          "no route to the target in this network namespace (ip route get <target>)";
      case Libc.EPERM, Libc.EACCES -> "a local firewall rule refused the packet (nft list ruleset)";
      default -> "";
    };
  }
}
