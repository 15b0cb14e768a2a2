package dev.gatehouse.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IcmpMessagesTest {

  /** ICMP Echo, identifier 0x1234, sequence 7, data "ping". */
  private static final String ECHO = "0800 06f4 1234 0007 70696e67";
  /** ICMPv6 Echo Request from 2001:2::1 to 2001:2::2, identifier 0x1234, sequence 1. */
  private static final String ECHO_V6 = "8000 4eaa 1234 0001 70696e67";

  private final Icmpv4Message icmpv4 = new Icmpv4Message();
  private final Icmpv6Message icmpv6 = new Icmpv6Message();
  private final IpPacket packet = new IpPacket();
  private final IpPacket quoted = new IpPacket();

  @Test
  void readsAnIcmpv4Echo() {
    byte[] message = bytes(ECHO);
    Buffers.with(message, buffer -> {
      assertEquals(WireStatus.OK, icmpv4.wrap(buffer, 0, message.length));
      assertEquals(Icmpv4Message.TYPE_ECHO_REQUEST, icmpv4.type());
      assertEquals(0, icmpv4.code());
      assertEquals(0x06F4, icmpv4.checksum());
      assertTrue(icmpv4.isEcho());
      assertFalse(icmpv4.isError());
      assertEquals(0x1234, icmpv4.identifier());
      assertEquals(7, icmpv4.sequenceNumber());
      assertEquals(8, icmpv4.bodyOffset());
      assertEquals(4, icmpv4.bodyLengthBytes());
      assertEquals(WireStatus.OK, icmpv4.verifyChecksum());
      assertEquals(0x06F4, icmpv4.computeChecksum());
      assertThrows(IllegalStateException.class, () -> icmpv4.wrapQuotedPacket(quoted));
      return null;
    });
  }

  @Test
  void reportsTruncatedIcmpHeaders() {
    byte[] message = bytes(ECHO);
    Buffers.with(message, buffer -> {
      for (int length = 0; length < Icmpv4Message.HEADER_LENGTH_BYTES; length++) {
        assertEquals(WireStatus.TRUNCATED, icmpv4.wrap(buffer, 0, length));
        assertEquals(WireStatus.TRUNCATED, icmpv6.wrap(buffer, 0, length));
      }
      return null;
    });
  }

  @Test
  void reportsAnIcmpv4ChecksumThatDoesNotVerify() {
    byte[] message = bytes(ECHO);
    for (int index = 0; index < message.length; index++) {
      message[index] ^= 0x04;
      assertEquals(WireStatus.BAD_CHECKSUM, Buffers.with(message, buffer -> {
        icmpv4.wrap(buffer, 0, message.length);
        return icmpv4.verifyChecksum();
      }));
      message[index] ^= 0x04;
    }
  }

  @Test
  void classifiesIcmpv4ErrorsByType() {
    for (int type = 0; type < 256; type++) {
      byte[] message = bytes(ECHO);
      message[0] = (byte) type;
      boolean error = Buffers.with(message, buffer -> {
        icmpv4.wrap(buffer, 0, message.length);
        return icmpv4.isError();
      });
      assertEquals(type == 3 || type == 4 || type == 5 || type == 11 || type == 12, error,
          "type " + type);
    }
  }

  @Test
  void readsAFragmentationNeededErrorAndTheDatagramItQuotes() {
    // RFC 1191 §4: code 4 carries the next-hop MTU in the low 16 bits of the second word.
    String quotedHeaderAndPorts = Ipv4HeaderTest.UDP_PACKET.replace(" ", "").substring(0, 56);
    byte[] message = bytes("0304 0000 0000 0578" + quotedHeaderAndPorts);
    Buffers.with(message, buffer -> {
      assertEquals(WireStatus.OK, icmpv4.wrap(buffer, 0, message.length));
      icmpv4.writeChecksum();
      assertEquals(WireStatus.OK, icmpv4.verifyChecksum());
      assertTrue(icmpv4.isError());
      assertEquals(Icmpv4Message.CODE_FRAGMENTATION_NEEDED, icmpv4.code());
      assertEquals(1400, icmpv4.nextHopMtu());
      assertEquals(WireStatus.OK, icmpv4.wrapQuotedPacket(quoted));
      assertTrue(quoted.isTruncated());
      assertEquals(IpProtocol.UDP, quoted.protocol());
      assertTrue(quoted.hasPorts());
      assertEquals(5353, quoted.sourcePort());
      assertEquals(53, quoted.destinationPort());
      assertEquals(0xC6130002, quoted.ipv4().destinationAddress());
      return null;
    });
  }

  @Test
  void reportsAQuotedDatagramCutInsideItsHeader() {
    String quotedHeader = Ipv4HeaderTest.UDP_PACKET.replace(" ", "").substring(0, 36);
    byte[] message = bytes("0b00 0000 00000000" + quotedHeader);
    Buffers.with(message, buffer -> {
      assertEquals(WireStatus.OK, icmpv4.wrap(buffer, 0, message.length));
      assertEquals(WireStatus.TRUNCATED, icmpv4.wrapQuotedPacket(quoted));
      return null;
    });
  }

  @Test
  void readsAParameterProblemPointerAndARedirectGateway() {
    byte[] problem = bytes("0c00 0000 08000000");
    Buffers.with(problem, buffer -> {
      icmpv4.wrap(buffer, 0, problem.length);
      assertEquals(8, icmpv4.pointer());
      return null;
    });
    byte[] redirect = bytes("0501 0000 c6120101");
    Buffers.with(redirect, buffer -> {
      icmpv4.wrap(buffer, 0, redirect.length);
      assertEquals(0xC6120101, icmpv4.gatewayAddress());
      return null;
    });
  }

  @Test
  void rewritesAnEchoIdentifierAndUpdatesTheChecksumLikeARecompute() {
    Random random = new Random(792_1624);
    byte[] message = bytes(ECHO);
    Buffers.with(message, buffer -> {
      icmpv4.wrap(buffer, 0, message.length);
      for (int round = 0; round < 5_000; round++) {
        icmpv4.rewriteIdentifier(random.nextInt(4) == 0 ? 0xFFFF : random.nextInt(0x10000));
        assertEquals(icmpv4.computeChecksum(), icmpv4.checksum());
      }
      return null;
    });
  }

  @Test
  void readsAnIcmpv6EchoRequestWithItsPseudoHeader() {
    byte[] ip = Ipv6HeaderTest.packet(0x60000000, IpProtocol.ICMPV6, 64, ECHO_V6);
    Buffers.with(ip, buffer -> {
      assertEquals(WireStatus.OK, packet.wrap(buffer, 0, ip.length));
      assertEquals(WireStatus.OK,
          icmpv6.wrap(buffer, packet.payloadOffset(), packet.payloadLengthBytes()));
      assertEquals(Icmpv6Message.TYPE_ECHO_REQUEST, icmpv6.type());
      assertTrue(icmpv6.isEcho());
      assertFalse(icmpv6.isError());
      assertEquals(0x1234, icmpv6.identifier());
      assertEquals(1, icmpv6.sequenceNumber());
      int pseudoHeaderSum = packet.pseudoHeaderSum(icmpv6.lengthBytes());
      assertEquals(WireStatus.OK, icmpv6.verifyChecksum(pseudoHeaderSum));
      assertEquals(0x4EAA, icmpv6.computeChecksum(pseudoHeaderSum));
      // RFC 4443 §2.3: the pseudo-header counts; without it the checksum does not verify.
      assertEquals(WireStatus.BAD_CHECKSUM, icmpv6.verifyChecksum(0));
      icmpv6.rewriteIdentifier(0xBEEF);
      assertEquals(WireStatus.OK, icmpv6.verifyChecksum(pseudoHeaderSum));
      assertThrows(IllegalStateException.class, () -> icmpv6.wrapQuotedPacket(quoted));
      return null;
    });
  }

  @Test
  void classifiesIcmpv6ErrorsByTheHighBitOfTheType() {
    for (int type = 0; type < 256; type++) {
      byte[] message = bytes(ECHO_V6);
      message[0] = (byte) type;
      boolean error = Buffers.with(message, buffer -> {
        icmpv6.wrap(buffer, 0, message.length);
        return icmpv6.isError();
      });
      assertEquals(type < 128, error, "type " + type);
    }
  }

  @Test
  void readsPacketTooBigMtuAndParameterProblemPointerAsUnsigned32Bits() {
    byte[] tooBig = bytes("0200 0000 ffffff00");
    Buffers.with(tooBig, buffer -> {
      icmpv6.wrap(buffer, 0, tooBig.length);
      assertEquals(0xFFFFFF00L, icmpv6.mtu());
      return null;
    });
    byte[] problem = bytes("0401 0000 00000028");
    Buffers.with(problem, buffer -> {
      icmpv6.wrap(buffer, 0, problem.length);
      assertEquals(40, icmpv6.pointer());
      return null;
    });
  }

  private static byte[] bytes(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }
}
