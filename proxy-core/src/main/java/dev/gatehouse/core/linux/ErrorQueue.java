package dev.gatehouse.core.linux;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.function.Consumer;

/**
 * Reads a socket's error queue (ip(7) IP_RECVERR, ipv6(7) IPV6_RECVERR): the ICMP errors the
 * kernel matched to the socket's packets, each with who sent it. Enable the queue with
 * {@link SocketOptions#enableErrorQueue}; while it holds anything, epoll reports EPOLLERR
 * and the next receive or send fails with the oldest error's errno.
 *
 * <p>Each queued error comes as one control message, level SOL_IP / IP_RECVERR or
 * SOL_IPV6 / IPV6_RECVERR (an IPv6 socket also gets the former for IPv4-mapped peers),
 * whose data is a {@code struct sock_extended_err} ({@code <linux/errqueue.h>}) followed
 * by the offender's socket address (SO_EE_OFFENDER):
 * <pre>
 *  0               1               2               3
 * +---------------+---------------+---------------+---------------+
 * |                     ee_errno (host order)                     |
 * +---------------+---------------+---------------+---------------+
 * |   ee_origin   |    ee_type    |    ee_code    |    ee_pad     |
 * +---------------+---------------+---------------+---------------+
 * |                ee_info (the MTU for "too big")                |
 * +---------------+---------------+---------------+---------------+
 * |                            ee_data                            |
 * +---------------+---------------+---------------+---------------+
 * |  sockaddr_in or sockaddr_in6 of the offender (family 0: none) |
 * +---------------+---------------+---------------+---------------+
 * </pre>
 * Control messages themselves are {@code struct cmsghdr} (cmsg(3)): a size_t length
 * counting the header, two ints level and type, data, padding to the next 8 bytes.
 *
 * <p>The data read with each error is what the offender quoted of our packet, from the
 * transport payload on: for a ping socket the ICMP echo message we sent (icmp(7)), whose
 * first 8 bytes the offender must quote (RFC 792 p.4-6; RFC 4443 §2.4 (c) for ICMPv6).
 * Only its first {@value #DATA_BYTES} bytes are read; the rest is cut off (MSG_TRUNC).
 *
 * <p>Reading allocates a few small native blocks per drain: the error queue is an error path.
 */
public final class ErrorQueue {

  /** {@code SO_EE_ORIGIN_LOCAL}: the local stack raised it (EMSGSIZE and the like). */
  public static final int ORIGIN_LOCAL = 1;
  /** {@code SO_EE_ORIGIN_ICMP}: an ICMP message; type and code are ICMP's. */
  public static final int ORIGIN_ICMP = 2;
  /** {@code SO_EE_ORIGIN_ICMP6}: an ICMPv6 message; type and code are ICMPv6's. */
  public static final int ORIGIN_ICMP6 = 3;

  /** Ours: the most errors one drain takes, so that a flood cannot hold the loop. */
  static final int MAX_ERRORS_PER_DRAIN = 64;

  static final int CMSG_HEADER_BYTES = 16; // cmsg_len (size_t), cmsg_level, cmsg_type
  static final int EXTENDED_ERR_BYTES = 16; // struct sock_extended_err
  static final int ERRNO_OFFSET = 0;
  static final int ORIGIN_OFFSET = 4;
  static final int TYPE_OFFSET = 5;
  static final int CODE_OFFSET = 6;
  static final int OFFENDER_OFFSET = EXTENDED_ERR_BYTES;

  // Room for one extended error and an IPv6 offender, CMSG_SPACE(16 + 28) = 64, and more.
  private static final int CONTROL_BYTES = 128;
  private static final int SIN_ADDR_OFFSET = 4;
  private static final int SIN6_ADDR_OFFSET = 8;
  /** Ours: enough of the quoted message for an echo header with room to spare. */
  static final int DATA_BYTES = 64;
  // RFC 792 p.14, RFC 4443 §4.1: type, code, checksum, identifier, sequence number.
  private static final int ECHO_HEADER_BYTES = 8;
  private static final int ECHO_SEQUENCE_OFFSET = 6;

  /** {@link QueuedError#quotedSequence()} when no echo header came back. */
  public static final int NO_SEQUENCE = -1;

  /** {@code struct msghdr}, {@code <sys/socket.h>}, LP64. */
  private static final StructLayout MSGHDR = structLayout(
      ADDRESS.withName("msg_name"),
      JAVA_INT.withName("msg_namelen"),
      MemoryLayout.paddingLayout(4),
      ADDRESS.withName("msg_iov"),
      JAVA_LONG.withName("msg_iovlen"),
      ADDRESS.withName("msg_control"),
      JAVA_LONG.withName("msg_controllen"),
      JAVA_INT.withName("msg_flags"),
      MemoryLayout.paddingLayout(4))
      .withName("msghdr");
  private static final StructLayout IOVEC = structLayout(
      ADDRESS.withName("iov_base"),
      JAVA_LONG.withName("iov_len"))
      .withName("iovec");
  private static final VarHandle IOV_BASE =
      IOVEC.varHandle(MemoryLayout.PathElement.groupElement("iov_base"));
  private static final VarHandle IOV_LEN =
      IOVEC.varHandle(MemoryLayout.PathElement.groupElement("iov_len"));
  private static final VarHandle MSG_IOV =
      MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("msg_iov"));
  private static final VarHandle MSG_IOVLEN =
      MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("msg_iovlen"));
  private static final VarHandle MSG_CONTROL =
      MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("msg_control"));
  private static final VarHandle MSG_CONTROLLEN =
      MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("msg_controllen"));

  private static final ValueLayout.OfShort JAVA_SHORT_BIG_ENDIAN =
      JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

  private ErrorQueue() {}

  /**
   * One error from the queue.
   *
   * @param errno what the kernel made of it (EHOSTUNREACH for a time exceeded, for one)
   * @param origin {@link #ORIGIN_ICMP}, {@link #ORIGIN_ICMP6}, {@link #ORIGIN_LOCAL}...
   * @param type the ICMP or ICMPv6 type, for those origins
   * @param code the ICMP or ICMPv6 code, for those origins
   * @param offender the node that sent the ICMP message, or null if the kernel gave none
   * @param quotedSequence for a ping socket, the sequence number of the echo request the
   *     error is about, as the offender quoted it; {@link #NO_SEQUENCE} if fewer than 8
   *     bytes came back. Other sockets' errors quote other headers: do not read it there.
   */
  public record QueuedError(int errno, int origin, int type, int code, InetAddress offender,
      int quotedSequence) {

    /** Whether an ICMP or ICMPv6 message from the network caused it. */
    public boolean isIcmp() {
      return origin == ORIGIN_ICMP || origin == ORIGIN_ICMP6;
    }
  }

  /**
   * Reads every error queued on {@code fd} without blocking (recvmsg MSG_ERRQUEUE |
   * MSG_DONTWAIT) until the queue is empty or {@link #MAX_ERRORS_PER_DRAIN} were read, and
   * hands each one that parses to {@code sink}, in order.
   *
   * @param description what the socket is, for the error message
   * @return how many errors were taken off the queue, parsed or not
   * @throws NativeException if recvmsg fails other than with EAGAIN
   */
  public static int drain(int fd, String description, Consumer<QueuedError> sink)
      throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment message = arena.allocate(MSGHDR);
      MemorySegment control = arena.allocate(CONTROL_BYTES, Long.BYTES);
      MemorySegment data = arena.allocate(DATA_BYTES);
      MemorySegment dataVector = arena.allocate(IOVEC);
      IOV_BASE.set(dataVector, 0L, data);
      IOV_LEN.set(dataVector, 0L, (long) DATA_BYTES);
      int drained = 0;
      while (drained < MAX_ERRORS_PER_DRAIN) {
        // no name: the offender comes in the control message
        message.fill((byte) 0);
        MSG_IOV.set(message, 0L, dataVector);
        MSG_IOVLEN.set(message, 0L, 1L);
        MSG_CONTROL.set(message, 0L, control);
        MSG_CONTROLLEN.set(message, 0L, (long) CONTROL_BYTES);
        long result = Libc.recvmsg(fd, message, Libc.MSG_ERRQUEUE | Libc.MSG_DONTWAIT);
        if (result == -Libc.EAGAIN) {
          break;
        }
        if (result < 0) {
          throw new NativeException("recvmsg(MSG_ERRQUEUE) of " + description, (int) -result, "");
        }
        drained++;
        // recvmsg returns the bytes it copied, at most DATA_BYTES
        QueuedError error = parseControl(control, (long) MSG_CONTROLLEN.get(message, 0L),
            quotedSequence(data, result));
        if (error != null) {
          sink.accept(error);
        }
      }
      return drained;
    }
  }

  /**
   * The first IP_RECVERR or IPV6_RECVERR control message among {@code controlBytes} bytes
   * of control data, or null if there is none or it is cut short. Reads host byte order,
   * as the kernel writes it; the offender's address is in network order.
   *
   * @param quotedSequence what {@link #quotedSequence} made of the error's data
   */
  static QueuedError parseControl(MemorySegment control, long controlBytes,
      int quotedSequence) {
    long at = 0;
    while (at + CMSG_HEADER_BYTES <= controlBytes) {
      long cmsgBytes = control.get(JAVA_LONG_UNALIGNED, at);
      if (cmsgBytes < CMSG_HEADER_BYTES || cmsgBytes > controlBytes - at) {
        return null;
      }
      int level = control.get(JAVA_INT_UNALIGNED, at + 8);
      int type = control.get(JAVA_INT_UNALIGNED, at + 12);
      boolean recvErr = (level == Libc.SOL_IP && type == Libc.IP_RECVERR)
          || (level == Libc.SOL_IPV6 && type == Libc.IPV6_RECVERR);
      if (recvErr) {
        return parseExtendedError(
            control.asSlice(at + CMSG_HEADER_BYTES, cmsgBytes - CMSG_HEADER_BYTES),
            quotedSequence);
      }
      at += (cmsgBytes + Long.BYTES - 1) & -Long.BYTES; // CMSG_ALIGN
    }
    return null;
  }

  /**
   * The sequence number of the echo message at the start of the first {@code dataBytes}
   * bytes of {@code data}, read in network order, or {@link #NO_SEQUENCE} if the echo
   * header is cut short.
   */
  static int quotedSequence(MemorySegment data, long dataBytes) {
    if (dataBytes < ECHO_HEADER_BYTES || data.byteSize() < ECHO_HEADER_BYTES) {
      return NO_SEQUENCE;
    }
    return Short.toUnsignedInt(data.get(JAVA_SHORT_BIG_ENDIAN, ECHO_SEQUENCE_OFFSET));
  }

  private static QueuedError parseExtendedError(MemorySegment data, int quotedSequence) {
    if (data.byteSize() < EXTENDED_ERR_BYTES) {
      return null;
    }
    int errno = data.get(JAVA_INT_UNALIGNED, ERRNO_OFFSET);
    int origin = Byte.toUnsignedInt(data.get(JAVA_BYTE, ORIGIN_OFFSET));
    int type = Byte.toUnsignedInt(data.get(JAVA_BYTE, TYPE_OFFSET));
    int code = Byte.toUnsignedInt(data.get(JAVA_BYTE, CODE_OFFSET));
    return new QueuedError(errno, origin, type, code,
        offender(data.asSlice(OFFENDER_OFFSET)), quotedSequence);
  }

  /** The address of the sockaddr the extended error ends with, or null if there is none. */
  private static InetAddress offender(MemorySegment sockaddr) {
    if (sockaddr.byteSize() < Short.BYTES) {
      return null;
    }
    short family = sockaddr.get(JAVA_SHORT_UNALIGNED, 0);
    long addressOffset;
    int addressBytes;
    if (family == Libc.AF_INET && sockaddr.byteSize() >= SIN_ADDR_OFFSET + 4) {
      addressOffset = SIN_ADDR_OFFSET;
      addressBytes = 4;
    } else if (family == Libc.AF_INET6 && sockaddr.byteSize() >= SIN6_ADDR_OFFSET + 16) {
      addressOffset = SIN6_ADDR_OFFSET;
      addressBytes = 16;
    } else {
      return null; // AF_UNSPEC: the kernel knew no offender
    }
    try {
      return InetAddress.getByAddress(
          sockaddr.asSlice(addressOffset, addressBytes).toArray(JAVA_BYTE));
    } catch (UnknownHostException e) {
      throw new AssertionError("a 4- or 16-byte address is always valid", e);
    }
  }
}
