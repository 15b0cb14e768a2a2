package dev.gatehouse.core.linux;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An ICMP "ping" socket (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), icmp(7); ICMPv6 alike):
 * sends echo requests and receives the matching echo replies without CAP_NET_RAW, for the
 * groups that {@code net.ipv4.ping_group_range} allows (both families obey that one
 * setting, per network namespace, off by default, even for root).
 *
 * <p>Messages are ICMP echo messages, RFC 792 p.14 and RFC 4443 §4.1-4.2:
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Identifier          |        Sequence Number        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Data ...
 * +-+-+-+-+-
 * </pre>
 *
 * <p><b>The kernel owns the identifier.</b> A ping socket has an echo id the way a UDP
 * socket has a port: chosen at {@link #bind} (or at the first send), returned by
 * {@link #identifier()}. The kernel writes it into every request, whatever the caller
 * meant, computes the checksum, and delivers to this socket only the replies that carry
 * it. A caller relaying a client's ping therefore cannot keep the client's identifier on
 * the wire: it keeps its own map from (socket, sequence) back to the client's identifier
 * and sequence, and rewrites the reply. Replies arrive without an IP header in both
 * families; ICMP errors about the requests are not delivered as data.
 *
 * <p>Threading and blocking are as for {@link RawSocket}: one sender and one receiver at
 * a time; {@link #setReceiveTimeout} or non-blocking mode bound a receive.
 */
public final class PingSocket implements AutoCloseable {

  /** ICMP echo header length, RFC 792 p.14. */
  public static final int ECHO_HEADER_BYTES = 8;
  /** Offset of the type byte: 0 echo reply, 8 echo request; ICMPv6 129 and 128. */
  public static final int TYPE_OFFSET = 0;
  /** Offset of the 16-bit identifier, in network byte order. */
  public static final int IDENTIFIER_OFFSET = 4;
  /** Offset of the 16-bit sequence number, in network byte order. */
  public static final int SEQUENCE_OFFSET = 6;

  static final byte ICMP_ECHO_REQUEST = 8; // RFC 792 p.14
  static final byte ICMPV6_ECHO_REQUEST = (byte) 128; // RFC 4443 §4.1

  /** Where the kernel keeps the setting; the sysctl name is the path below /proc/sys. */
  static final Path PING_GROUP_RANGE = Path.of("/proc/sys/net/ipv4/ping_group_range");

  private static final ValueLayout.OfShort NETWORK_SHORT =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

  private final SocketFd socket;
  private final byte echoRequestType;

  private PingSocket(SocketFd socket, byte echoRequestType) {
    this.socket = socket;
    this.echoRequestType = echoRequestType;
  }

  /**
   * Opens a ping socket, in blocking mode and not bound.
   *
   * @param family {@code INET} for ICMP, {@code INET6} for ICMPv6
   * @throws NativeException EACCES when {@code net.ipv4.ping_group_range} leaves out this
   *     process's group; the message gives the range, the group ids and the sysctl to run
   */
  public static PingSocket open(StandardProtocolFamily family) throws NativeException {
    boolean v4 = SocketFd.domain(family) == Libc.AF_INET;
    SocketFd socket = SocketFd.open(family, Libc.SOCK_DGRAM,
        v4 ? Libc.IPPROTO_ICMP : Libc.IPPROTO_ICMPV6, PingSocket::openAdvice);
    return new PingSocket(socket, v4 ? ICMP_ECHO_REQUEST : ICMPV6_ECHO_REQUEST);
  }

  /** The descriptor, for a poller; it stays owned by this socket. */
  public int fd() throws IOException {
    return socket.fd.get();
  }

  /**
   * Hands the descriptor over to a new owner, such as a Netty {@code EpollDatagramChannel}
   * wrapping it, which reads replies and closes it; this socket is closed from then on.
   */
  public int detachFd() throws IOException {
    return socket.fd.detach();
  }

  /**
   * Sends requests from {@code source} only, and lets the kernel choose the identifier.
   *
   * @throws NativeException EADDRNOTAVAIL when no interface here has that address
   */
  public void bind(InetAddress source) throws IOException {
    socket.bind(source, 0);
  }

  /** Sends and receives only through {@code interfaceName} (SO_BINDTODEVICE). */
  public void bindToDevice(String interfaceName) throws IOException {
    socket.bindToDevice(interfaceName);
  }

  /**
   * The echo identifier the kernel gave this socket, which every request carries and every
   * reply delivered here matches; 0 until {@link #bind} or the first send.
   */
  public int identifier() throws IOException {
    return socket.localPort();
  }

  /**
   * Sends one echo request with {@code payload}'s remaining bytes as its data; payload
   * moves past them. The kernel fills in the identifier and the checksum.
   *
   * @param sequence the sequence number, 0 to 65535
   * @return false if the socket is non-blocking and its buffer is full (nothing was sent)
   */
  public boolean sendEchoRequest(InetAddress target, int sequence, ByteBuffer payload)
      throws IOException {
    if (sequence < 0 || sequence > 0xffff) {
      throw new IllegalArgumentException("expected a sequence number from 0 to 65535, got "
          + sequence);
    }
    int payloadBytes = payload.remaining();
    long messageBytes = ECHO_HEADER_BYTES + (long) payloadBytes;
    MemorySegment message = socket.sendScratch(messageBytes);

    // header: type, code 0, checksum and identifier left 0 for the kernel
    message.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0);
    message.set(ValueLayout.JAVA_INT_UNALIGNED, 4, 0);
    message.set(ValueLayout.JAVA_BYTE, TYPE_OFFSET, echoRequestType);
    message.set(NETWORK_SHORT, SEQUENCE_OFFSET, (short) sequence);
    MemorySegment.copy(
        MemorySegment.ofBuffer(payload), 0, message, ECHO_HEADER_BYTES, payloadBytes);

    if (socket.send(message, messageBytes, target) == 0) {
      return false;
    }
    payload.position(payload.position() + payloadBytes);
    return true;
  }

  /**
   * Receives one echo reply into {@code dst}, which moves past it: the whole ICMP message,
   * header first ({@link #IDENTIFIER_OFFSET}, {@link #SEQUENCE_OFFSET}), then the data the
   * request carried.
   *
   * @return the address that replied, or {@code null} if nothing was waiting in
   *     non-blocking mode or nothing came within the receive timeout
   */
  public InetAddress receiveEchoReply(ByteBuffer dst) throws IOException {
    return socket.receive(dst);
  }

  /** Makes a blocking receive give up after {@code timeoutMillis}; 0 waits forever. */
  public void setReceiveTimeout(long timeoutMillis) throws IOException {
    socket.setReceiveTimeout(timeoutMillis);
  }

  /** Switches non-blocking mode on or off; sockets open blocking. */
  public void setNonBlocking(boolean nonBlocking) throws IOException {
    socket.fd.setNonBlocking(nonBlocking);
  }

  /** Waits up to {@code timeoutMillis} for a reply to receive; 0 only checks. */
  public boolean awaitReadable(long timeoutMillis) throws IOException {
    return socket.fd.awaitReadable(timeoutMillis);
  }

  /** Whether {@link #close} has not been called yet. */
  public boolean isOpen() {
    return socket.fd.isOpen();
  }

  /** Closes the socket; closing again does nothing. */
  @Override
  public void close() throws IOException {
    socket.fd.close();
  }

  private static String openAdvice(int errno) {
    return switch (errno) {
      case Libc.EACCES -> pingGroupAdvice(readPingGroupRange(), readProcessGroups());
      case Libc.EAFNOSUPPORT -> "this kernel has IPv6 disabled (ipv6.disable=1)";
      default -> "";
    };
  }

  /**
   * Explains an EACCES from socket(): the kernel lets a process open a ping socket when its
   * effective gid or one of its supplementary groups lies in the range (icmp(7)).
   *
   * @param range the contents of {@link #PING_GROUP_RANGE}, or a reason it could not be read
   *     starting with "unreadable"
   * @param groups the effective gid first, then the supplementary groups
   */
  static String pingGroupAdvice(String range, List<Long> groups) {
    String gids = groups.isEmpty()
        ? "unknown groups (/proc/self/status unreadable)"
        : "effective gid " + groups.getFirst() + " and supplementary groups "
            + groups.subList(1, groups.size());
    String rangeText = range.strip().replaceAll("\\s+", " ");
    String sysctl = "sysctl -w net.ipv4.ping_group_range=\""
        + (groups.isEmpty() ? "<gid> <gid>" : groups.getFirst() + " " + groups.getFirst())
        + "\"";
    if (!groups.isEmpty() && rangeAllows(rangeText, groups)) {
      return "net.ipv4.ping_group_range is \"" + rangeText + "\", which includes this"
          + " process's " + gids + ", so something else refused the socket (an LSM such as"
          + " SELinux or AppArmor, or a seccomp filter)";
    }
    return "ICMP ping sockets are open only to the groups in net.ipv4.ping_group_range, which"
        + " is \"" + rangeText + "\" in this network namespace (\"1 0\", the default, allows"
        + " none); this process runs with " + gids + "; allow its group with: " + sysctl
        + " (the setting is per network namespace), or grant CAP_NET_RAW and use a raw socket";
  }

  private static boolean rangeAllows(String range, List<Long> groups) {
    String[] bounds = range.split(" ");
    if (bounds.length != 2) {
      return false;
    }
    try {
      long low = Long.parseLong(bounds[0]);
      long high = Long.parseLong(bounds[1]);
      return groups.stream().anyMatch(gid -> low <= gid && gid <= high);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static String readPingGroupRange() {
    // Files.readString returns only "1" of this file's "1\t0" (procfs gives sysctls no
    // size); a stream read to its end gets the whole value.
    try (InputStream in = Files.newInputStream(PING_GROUP_RANGE)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "unreadable (" + e + ")";
    }
  }

  /** The effective gid, then the supplementary groups (/proc/self/status); empty if unknown. */
  static List<Long> readProcessGroups() {
    try {
      List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
      // "Gid:" lists real, effective, saved and filesystem gid; "Groups:" the supplementary.
      Long effective = null;
      List<Long> supplementary = List.of();
      for (String line : status) {
        if (line.startsWith("Gid:")) {
          effective = Long.parseLong(line.substring(4).strip().split("\\s+")[1]);
        } else if (line.startsWith("Groups:")) {
          String list = line.substring(7).strip();
          supplementary = list.isEmpty()
              ? List.of()
              : Arrays.stream(list.split("\\s+")).map(Long::valueOf).toList();
        }
      }
      if (effective == null) {
        return List.of();
      }
      List<Long> groups = new ArrayList<>();
      groups.add(effective);
      groups.addAll(supplementary);
      return groups;
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
