package dev.gatehouse.core.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.linux.ErrorQueue.QueuedError;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The error queue's control messages, laid out by hand as Linux writes them on x86_64 and
 * aarch64 (little-endian, 8-byte size_t): cmsghdr, sock_extended_err, offender sockaddr.
 */
class ErrorQueueTest {

  private static final int EHOSTUNREACH = 113;
  private static final int ECONNREFUSED = 111;

  @Test
  void readsTimeExceededFromAnIpv4Router() throws Exception {
    byte[] control = recvErr(Libc.SOL_IP, Libc.IP_RECVERR, EHOSTUNREACH,
        ErrorQueue.ORIGIN_ICMP, 11, 0, sockaddrIn(198, 18, 96, 1));

    QueuedError error = parse(control, control.length);

    assertEquals(EHOSTUNREACH, error.errno());
    assertEquals(ErrorQueue.ORIGIN_ICMP, error.origin());
    assertEquals(11, error.type());
    assertEquals(0, error.code());
    assertEquals(InetAddress.getByName("198.18.96.1"), error.offender());
    assertTrue(error.isIcmp());
  }

  @Test
  void readsPortUnreachableFromAnIpv6Destination() throws Exception {
    byte[] address = InetAddress.getByName("2001:2::97:2").getAddress();
    byte[] control = recvErr(Libc.SOL_IPV6, Libc.IPV6_RECVERR, ECONNREFUSED,
        ErrorQueue.ORIGIN_ICMP6, 1, 4, sockaddrIn6(address));

    QueuedError error = parse(control, control.length);

    assertEquals(ErrorQueue.ORIGIN_ICMP6, error.origin());
    assertEquals(1, error.type());
    assertEquals(4, error.code());
    assertEquals(InetAddress.getByName("2001:2::97:2"), error.offender());
  }

  @Test
  void skipsOtherControlMessagesToTheError() throws Exception {
    // IP_TTL (level 0, type 2) with a 4-byte int, padded to 8: CMSG_SPACE(4) = 24
    ByteBuffer ttl = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    ttl.putLong(20).putInt(Libc.SOL_IP).putInt(Libc.IP_TTL).putInt(63);
    byte[] error = recvErr(Libc.SOL_IP, Libc.IP_RECVERR, EHOSTUNREACH,
        ErrorQueue.ORIGIN_ICMP, 3, 1, sockaddrIn(198, 18, 96, 1));
    byte[] control = ByteBuffer.allocate(24 + error.length).put(ttl.array()).put(error).array();

    QueuedError parsed = parse(control, control.length);

    assertEquals(3, parsed.type());
    assertEquals(1, parsed.code());
  }

  @Test
  void reportsNoOffenderForAnUnspecifiedFamily() {
    byte[] control = recvErr(Libc.SOL_IP, Libc.IP_RECVERR, 90, ErrorQueue.ORIGIN_LOCAL, 0, 0,
        new byte[16]);

    QueuedError error = parse(control, control.length);

    assertEquals(ErrorQueue.ORIGIN_LOCAL, error.origin());
    assertNull(error.offender());
    assertEquals(false, error.isIcmp());
  }

  @Test
  void returnsNullForAControlMessageLongerThanTheData() {
    byte[] control = recvErr(Libc.SOL_IP, Libc.IP_RECVERR, EHOSTUNREACH,
        ErrorQueue.ORIGIN_ICMP, 11, 0, sockaddrIn(198, 18, 96, 1));

    assertNull(parse(control, control.length - 8), "cmsg_len beyond the control data");
    assertNull(parse(control, 12), "shorter than a cmsghdr");
  }

  @Test
  void returnsNullForAnExtendedErrorCutShort() {
    ByteBuffer control = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    control.putLong(24).putInt(Libc.SOL_IP).putInt(Libc.IP_RECVERR).putInt(EHOSTUNREACH);

    assertNull(parse(control.array(), 24));
  }

  @Test
  void returnsNullWithoutARecvErrMessage() {
    ByteBuffer control = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    control.putLong(20).putInt(Libc.SOL_IP).putInt(Libc.IP_TTL).putInt(63);

    assertNull(parse(control.array(), 24));
  }

  @Test
  void readsTheSequenceOfTheQuotedEchoRequest() {
    // RFC 792 p.14: type 8, code 0, checksum, identifier 0x1234, sequence 0x0102, data
    byte[] echo = {8, 0, (byte) 0xf7, (byte) 0xca, 0x12, 0x34, 0x01, 0x02, 'p', 'r'};
    byte[] control = recvErr(Libc.SOL_IP, Libc.IP_RECVERR, EHOSTUNREACH,
        ErrorQueue.ORIGIN_ICMP, 11, 0, sockaddrIn(198, 18, 96, 1));

    int sequence = ErrorQueue.quotedSequence(MemorySegment.ofArray(echo), echo.length);
    QueuedError error = ErrorQueue.parseControl(MemorySegment.ofArray(control),
        control.length, sequence);

    assertEquals(0x0102, error.quotedSequence());
    assertEquals(11, error.type());
  }

  @Test
  void readsASequenceAboveTheSignedShortRange() {
    byte[] echo = {8, 0, 0, 0, 0x12, 0x34, (byte) 0xff, (byte) 0xfe};

    assertEquals(0xfffe, ErrorQueue.quotedSequence(MemorySegment.ofArray(echo), echo.length));
  }

  @Test
  void reportsNoSequenceForAnEchoHeaderCutShort() {
    byte[] echo = {8, 0, 0, 0, 0x12, 0x34, 0x01, 0x02};

    assertEquals(ErrorQueue.NO_SEQUENCE,
        ErrorQueue.quotedSequence(MemorySegment.ofArray(echo), 7), "7 bytes came back");
    assertEquals(ErrorQueue.NO_SEQUENCE,
        ErrorQueue.quotedSequence(MemorySegment.ofArray(echo), 0), "no data came back");
  }

  private static QueuedError parse(byte[] control, long controlBytes) {
    return ErrorQueue.parseControl(MemorySegment.ofArray(control), controlBytes,
        ErrorQueue.NO_SEQUENCE);
  }

  /** One control message: cmsghdr, sock_extended_err, then the offender, padded to 8. */
  private static byte[] recvErr(int level, int type, int errno, int origin, int icmpType,
      int icmpCode, byte[] offender) {
    int length = ErrorQueue.CMSG_HEADER_BYTES + ErrorQueue.EXTENDED_ERR_BYTES + offender.length;
    ByteBuffer cmsg = ByteBuffer.allocate((length + 7) & -8).order(ByteOrder.LITTLE_ENDIAN);
    cmsg.putLong(length).putInt(level).putInt(type);
    cmsg.putInt(errno).put((byte) origin).put((byte) icmpType).put((byte) icmpCode)
        .put((byte) 0).putInt(0).putInt(0);
    cmsg.put(offender);
    return cmsg.array();
  }

  private static byte[] sockaddrIn(int a, int b, int c, int d) {
    ByteBuffer sockaddr = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    sockaddr.putShort((short) Libc.AF_INET).putShort((short) 0);
    sockaddr.put((byte) a).put((byte) b).put((byte) c).put((byte) d);
    return sockaddr.array();
  }

  private static byte[] sockaddrIn6(byte[] address) {
    ByteBuffer sockaddr = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
    sockaddr.putShort((short) Libc.AF_INET6).putShort((short) 0).putInt(0);
    sockaddr.put(address).putInt(0);
    return sockaddr.array();
  }
}
