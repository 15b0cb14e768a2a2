package dev.gatehouse.core.inspect;

import static dev.gatehouse.core.inspect.Fixtures.clientHello;
import static dev.gatehouse.core.inspect.Fixtures.extension;
import static dev.gatehouse.core.inspect.Fixtures.sni;
import static dev.gatehouse.core.inspect.QuicInitials.RFC_DCID;
import static dev.gatehouse.core.inspect.QuicInitials.concat;
import static dev.gatehouse.core.inspect.QuicInitials.crypto;
import static dev.gatehouse.core.inspect.QuicInitials.datagram;
import static dev.gatehouse.core.inspect.QuicInitials.protect;
import static dev.gatehouse.core.inspect.QuicInitials.varint;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.inspect.QuicInitials.Initial;
import dev.gatehouse.core.wire.QuicPackets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class QuicInitialInspectorTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] DCID = HEX.parseHex("0011223344556677");
  private static final byte[] OTHER_DCID = HEX.parseHex("8899aabbccddeeff0102");
  private static final int MIN_DATAGRAM = QuicPackets.MIN_INITIAL_DATAGRAM_BYTES;
  private static final Pattern LDH_NAME =
      Pattern.compile("[a-z0-9_-]{1,63}(\\.[a-z0-9_-]{1,63})*");

  private static QuicInitialInspector inspector() {
    return new QuicInitialInspector(QuicInitialInspector.DEFAULT_MAX_CRYPTO_BYTES);
  }

  /**
   * Offers {@code datagram} from a buffer where it sits between other bytes, and checks that
   * the offer moved no index and agrees with {@code decided()}.
   */
  private static boolean offer(QuicInitialInspector inspector, byte[] datagram) {
    ByteBuf buffer = Unpooled.buffer(datagram.length + 7);
    try {
      buffer.writeBytes(new byte[] {(byte) 0xC3, 0, 0, 0, 1}).writeBytes(datagram)
          .writeBytes(new byte[] {0x06, 0x40}).readerIndex(2);
      int writerIndex = buffer.writerIndex();
      boolean decided = inspector.offer(buffer, 5, datagram.length);
      assertEquals(2, buffer.readerIndex(), "offer moved the reader index");
      assertEquals(writerIndex, buffer.writerIndex(), "offer moved the writer index");
      assertEquals(inspector.decided(), decided, "offer's answer and decided() disagree");
      return decided;
    } finally {
      buffer.release();
    }
  }

  /** A JDK client's ClientHello handshake message (without TLS record headers). */
  private static byte[] jdkClientHello(String host) {
    return QuicInitials.handshakeMessage(Fixtures.jdkClientHello(host));
  }

  /** One 1200-byte datagram holding one Initial with these frames. */
  private static byte[] initialDatagram(byte[] dcid, long packetNumber, byte[]... frames) {
    return protect(Initial.of(dcid, packetNumber, concat(frames)).paddedTo(MIN_DATAGRAM));
  }

  @Nested
  class RfcVectors {
    @Test
    void derivesTheRfc9001ClientInitialKeys() {
      QuicInitialKeys.Secrets secrets =
          QuicInitialKeys.secrets(QuicInitialKeys.newHmac(), QuicPackets.QUIC_V1, RFC_DCID);
      // RFC 9001 Appendix A.1
      assertEquals("c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
          HEX.formatHex(secrets.clientInitialSecret()));
      assertEquals("1f369613dd76d5467730efcbe3b1a22d", HEX.formatHex(secrets.key()));
      assertEquals("fa044b2f42a3fd3b46fb255c", HEX.formatHex(secrets.iv()));
      assertEquals("9f50449e04a0e810283a1e9933adedd2", HEX.formatHex(secrets.hp()));
    }

    @Test
    void derivesTheRfc9369ClientInitialKeys() {
      QuicInitialKeys.Secrets secrets =
          QuicInitialKeys.secrets(QuicInitialKeys.newHmac(), QuicPackets.QUIC_V2, RFC_DCID);
      // RFC 9369 Appendix A.1
      assertEquals("14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
          HEX.formatHex(secrets.clientInitialSecret()));
      assertEquals("8b1a0bc121284290a29e0971b5cd045d", HEX.formatHex(secrets.key()));
      assertEquals("91f73e2351d8fa91660e909f", HEX.formatHex(secrets.iv()));
      assertEquals("45b95e15235d6f45a6b19cbcb0294ba9", HEX.formatHex(secrets.hp()));
    }

    @Test
    void readsTheServerNameOfTheRfc9001ClientInitial() {
      QuicInitialInspector inspector = inspector();
      assertTrue(offer(inspector, QuicInitials.hexResource("rfc9001-a2-client-initial.hex")));
      assertEquals("example.com", inspector.sniHost());
      assertEquals(1, inspector.packetsOpened());
      assertEquals(1, inspector.datagramsSeen());
    }

    @Test
    void readsTheServerNameOfTheRfc9369ClientInitial() {
      QuicInitialInspector inspector = inspector();
      assertTrue(offer(inspector, QuicInitials.hexResource("rfc9369-a2-client-initial.hex")));
      assertEquals("example.com", inspector.sniHost());
    }

    /** The test encryptor is trusted by the other tests because it rebuilds the RFCs' packets. */
    @Test
    void testEncryptorRebuildsBothRfcClientInitials() {
      // RFC 9001 Appendix A.2: one CRYPTO frame with the whole ClientHello, then PADDING;
      // packet number 2 in 4 bytes
      byte[] cryptoFrame = HEX.parseHex("060040f1010000ed0303ebf8fa56f12939b9584a3896472e"
          + "c40bb863cfd3e86804fe3a47f06a2b69484c00000413011302010000c000000010000e00000b65"
          + "78616d706c652e636f6dff01000100000a00080006001d0017001800100007000504616c706e00"
          + "0500050100000000003300260024001d00209370b2c9caa47fbabaf4559fedba753de171fa71f5"
          + "0f1ce15d43e994ec74d748002b0003020304000d0010000e040305030603020308040805080600"
          + "2d00020101001c00024001003900320408ffffffffffffffff05048000ffff07048000ffff0801"
          + "100104800075300901100f088394c8f03e51570806048000ffff");
      Initial initial = new Initial(QuicPackets.QUIC_V1, RFC_DCID, new byte[0], 2, 4,
          cryptoFrame, MIN_DATAGRAM);
      assertArrayEquals(QuicInitials.hexResource("rfc9001-a2-client-initial.hex"),
          protect(initial));
      // RFC 9369 Appendix A.2 protects the same payload for version 2
      assertArrayEquals(QuicInitials.hexResource("rfc9369-a2-client-initial.hex"),
          protect(initial.version(QuicPackets.QUIC_V2)));
    }

    @Test
    void decodesPacketNumbersAsRfc9000AppendixA3() {
      assertEquals(0xa82f9b32L, QuicInitialInspector.decodePacketNumber(0xa82f30eaL, 0x9b32, 16));
      assertEquals(0, QuicInitialInspector.decodePacketNumber(-1, 0, 8));
      assertEquals(2, QuicInitialInspector.decodePacketNumber(-1, 2, 32));
      // past a wrap of the truncated field, and just behind the expected number
      assertEquals(0x100, QuicInitialInspector.decodePacketNumber(0xff, 0x00, 8));
      assertEquals(0x1fe, QuicInitialInspector.decodePacketNumber(0x200, 0xfe, 8));
    }
  }

  @Nested
  class Reassembly {
    @Test
    void readsAClientHelloSplitOverTwoDatagramsWithCryptoFramesOutOfOrder() {
      byte[] hello = jdkClientHello("WWW.Example.COM");
      int a = hello.length / 4;
      int b = hello.length / 2;
      // as Chrome does: the stream's end first, then its start, the middle in the next datagram
      byte[] first = initialDatagram(DCID, 0, crypto(hello, b, hello.length), crypto(hello, 0, a));
      byte[] second = initialDatagram(DCID, 1, crypto(hello, a, b));

      QuicInitialInspector inspector = inspector();
      assertFalse(offer(inspector, first), "decided on half a ClientHello");
      assertTrue(offer(inspector, second));
      assertEquals("www.example.com", inspector.sniHost());
      assertEquals(2, inspector.datagramsSeen());

      QuicInitialInspector reversed = inspector();
      assertFalse(offer(reversed, second));
      assertTrue(offer(reversed, first));
      assertEquals("www.example.com", reversed.sniHost());
    }

    @Test
    void readsAPostQuantumSizedClientHelloThatCannotFitOneDatagram() {
      // a key share the size of X25519MLKEM768's (1216 bytes) pushes the ClientHello past 1200
      byte[] hello = clientHello(32, sni("pq.example"), extension(51, new byte[1220]));
      int cut = 900;
      QuicInitialInspector inspector = inspector();
      assertFalse(offer(inspector, initialDatagram(DCID, 0, crypto(hello, 0, cut))));
      assertTrue(offer(inspector, initialDatagram(DCID, 1, crypto(hello, cut, hello.length))));
      assertEquals("pq.example", inspector.sniHost());
    }

    @Test
    void acceptsOverlappingAndRepeatedCryptoFrames() {
      byte[] hello = jdkClientHello("overlap.example");
      int n = hello.length;
      QuicInitialInspector inspector = inspector();
      assertFalse(offer(inspector, initialDatagram(DCID, 0, crypto(hello, 10, n / 2),
          crypto(hello, 0, 20), crypto(hello, 5, 15))));
      assertFalse(offer(inspector, initialDatagram(DCID, 1, crypto(hello, 0, n / 2))));
      assertTrue(offer(inspector, initialDatagram(DCID, 2, crypto(hello, n / 3, n))));
      assertEquals("overlap.example", inspector.sniHost());
    }

    @Test
    void readsCoalescedInitialsAndSkipsTheHandshakePacketAfterThem() {
      byte[] hello = jdkClientHello("coalesced.example");
      int cut = hello.length / 3;
      byte[] one = protect(Initial.of(DCID, 0, crypto(hello, cut, hello.length)));
      byte[] two = protect(Initial.of(DCID, 1, crypto(hello, 0, cut)).pnLength(2));
      // RFC 9000 §17.2.4: a Handshake packet (type 0b10) has a Length and no Token
      byte[] handshake = concat(HEX.parseHex("e000000001"), new byte[] {8}, DCID,
          new byte[] {0}, varint(30), new byte[30]);

      QuicInitialInspector inspector = inspector();
      assertTrue(offer(inspector, datagram(MIN_DATAGRAM, one, handshake, two)));
      assertEquals("coalesced.example", inspector.sniHost());
      assertEquals(2, inspector.packetsOpened());
    }

    @Test
    void ignoresACoalescedPacketForAnotherConnection() {
      byte[] hello = jdkClientHello("mine.example");
      byte[] mine = protect(Initial.of(DCID, 0, crypto(hello, 0, 10)));
      // protected correctly, but RFC 9000 §12.2 has receivers ignore another DCID
      byte[] theirs = protect(Initial.of(OTHER_DCID, 0, crypto(hello, 10, hello.length)));

      QuicInitialInspector inspector = inspector();
      assertFalse(offer(inspector, datagram(MIN_DATAGRAM, mine, theirs)));
      assertEquals(1, inspector.packetsOpened());
    }

    @Test
    void skipsPaddingPingAndAckFrames() {
      byte[] hello = jdkClientHello("frames.example");
      byte[] ack = concat(new byte[] {0x02}, varint(5), varint(100), varint(2), varint(0),
          varint(1), varint(0), varint(0), varint(1));
      byte[] ackEcn = concat(new byte[] {0x03}, varint(9), varint(0), varint(0), varint(3),
          varint(1), varint(2), varint(70000));
      QuicInitialInspector inspector = inspector();
      assertTrue(offer(inspector, initialDatagram(DCID, 3, new byte[] {0, 0, 1}, ack,
          crypto(hello, 0, 40), new byte[7], ackEcn, new byte[] {1},
          crypto(hello, 40, hello.length))));
      assertEquals("frames.example", inspector.sniHost());
    }

    @Test
    void stopsReadingAPacketAtAFrameNotAllowedInInitials() {
      byte[] hello = jdkClientHello("stream.example");
      // RFC 9000 §19.8: a STREAM frame (0x08) in an Initial is a protocol violation
      byte[] stream = concat(new byte[] {0x08}, varint(0), new byte[] {'x'});
      QuicInitialInspector inspector = inspector();
      assertFalse(offer(inspector, initialDatagram(DCID, 0, crypto(hello, 0, 50), stream,
          crypto(hello, 50, hello.length))));
      assertEquals(1, inspector.packetsOpened());
      // the CRYPTO data before the STREAM frame was kept
      assertTrue(offer(inspector, initialDatagram(DCID, 1, crypto(hello, 50, hello.length))));
      assertEquals("stream.example", inspector.sniHost());
    }

    @Test
    void readsInitialsAfterTheClientMovedToTheServersConnectionIds() {
      byte[] hello = jdkClientHello("moved.example");
      int cut = hello.length / 2;
      QuicInitialInspector inspector = inspector();
      assertFalse(offer(inspector, initialDatagram(DCID, 0, crypto(hello, 0, cut))));

      // RFC 9001 §5.2: after the server's Initial, the client's keys still come from DCID
      byte[] later = protect(Initial.of(OTHER_DCID, 1, crypto(hello, cut, hello.length))
          .paddedTo(MIN_DATAGRAM), QuicInitialKeys.secrets(QuicInitialKeys.newHmac(),
          QuicPackets.QUIC_V1, DCID), 0);
      assertTrue(offer(inspector, later));
      assertEquals("moved.example", inspector.sniHost());

      // after a Retry, they come from the connection ID the server chose
      QuicInitialInspector retried = inspector();
      assertFalse(offer(retried, initialDatagram(DCID, 0, crypto(hello, 0, cut))));
      assertTrue(offer(retried, initialDatagram(OTHER_DCID, 1, crypto(hello, cut, hello.length))));
      assertEquals("moved.example", retried.sniHost());
    }

    @Test
    void readsVersion2InitialsWithLongPacketNumbers() {
      byte[] hello = jdkClientHello("v2.example");
      int cut = 77;
      byte[] first = protect(Initial.of(DCID, 0x1234, crypto(hello, 0, cut))
          .version(QuicPackets.QUIC_V2).pnLength(4).paddedTo(MIN_DATAGRAM));
      byte[] second = protect(Initial.of(DCID, 0x1235, crypto(hello, cut, hello.length))
          .version(QuicPackets.QUIC_V2).pnLength(3).paddedTo(MIN_DATAGRAM));
      QuicInitialInspector inspector = inspector();
      assertFalse(offer(inspector, first));
      assertTrue(offer(inspector, second));
      assertEquals("v2.example", inspector.sniHost());
    }
  }

  @Nested
  class Decisions {
    @Test
    void decidesWithoutHostWhenTheClientHelloHasNoServerName() {
      QuicInitialInspector inspector = inspector();
      byte[] hello = clientHello(0, extension(Fixtures.SUPPORTED_VERSIONS, new byte[] {2, 3, 4}));
      assertTrue(offer(inspector, initialDatagram(DCID, 0, crypto(hello, 0, hello.length))));
      assertEquals("", inspector.sniHost());
    }

    @Test
    void decidesWithoutHostWhenTheStreamDoesNotStartWithAClientHello() {
      QuicInitialInspector inspector = inspector();
      byte[] serverHello = Fixtures.handshake(2, new byte[40]);
      assertTrue(offer(inspector, initialDatagram(DCID, 0, crypto(serverHello, 0, 4))));
      assertEquals("", inspector.sniHost());
    }

    @Test
    void decidesWithoutHostAsSoonAsTheClientHelloCannotFit() {
      byte[] hello = clientHello(0, sni("big.example"), extension(51, new byte[3000]));
      QuicInitialInspector inspector = new QuicInitialInspector(2048);
      assertTrue(offer(inspector, initialDatagram(DCID, 0, crypto(hello, 0, 600))));
      assertEquals("", inspector.sniHost());

      QuicInitialInspector larger = new QuicInitialInspector(4096);
      assertFalse(offer(larger, initialDatagram(DCID, 0, crypto(hello, 0, 600))));
    }

    @Test
    void finishDecidesWithoutHostOnHalfAClientHello() {
      byte[] hello = jdkClientHello("half.example");
      QuicInitialInspector inspector = inspector();
      assertFalse(offer(inspector, initialDatagram(DCID, 0, crypto(hello, 0, hello.length - 1))));
      inspector.finish();
      assertTrue(inspector.decided());
      assertEquals("", inspector.sniHost());
      // nothing offered after the decision changes it or is counted
      assertTrue(offer(inspector, initialDatagram(DCID, 1, crypto(hello, 0, hello.length))));
      assertEquals("", inspector.sniHost());
      assertEquals(1, inspector.datagramsSeen());
    }

    @Test
    void refusesABoundOutsideItsRange() {
      assertThrows(IllegalArgumentException.class, () -> new QuicInitialInspector(0));
      assertThrows(IllegalArgumentException.class,
          () -> new QuicInitialInspector(QuicInitialInspector.MAX_MAX_CRYPTO_BYTES + 1));
    }
  }

  @Nested
  class Damage {
    private final byte[] hello = jdkClientHello("damage.example");
    private final byte[] good = initialDatagram(DCID, 0, crypto(hello, 0, hello.length));

    @Test
    void ignoresAPacketProtectedWithOtherKeys() {
      QuicInitialKeys.Secrets wrong = QuicInitialKeys.secrets(QuicInitialKeys.newHmac(),
          QuicPackets.QUIC_V1, OTHER_DCID);
      byte[] forged = protect(Initial.of(DCID, 0, crypto(hello, 0, hello.length))
          .paddedTo(MIN_DATAGRAM), wrong, 0);
      QuicInitialInspector inspector = inspector();
      assertFalse(offer(inspector, forged));
      assertEquals(0, inspector.packetsOpened());
      assertTrue(offer(inspector, good));
      assertEquals("damage.example", inspector.sniHost());
    }

    @Test
    void ignoresACorruptedPacketAndReadsTheNextOne() {
      for (int at : new int[] {0, 9, 30, 200, good.length - 1}) {
        byte[] corrupted = good.clone();
        corrupted[at] ^= 0x10;
        QuicInitialInspector inspector = inspector();
        assertFalse(offer(inspector, corrupted), "read a packet corrupted at " + at);
        assertEquals(0, inspector.packetsOpened());
        assertTrue(offer(inspector, good));
        assertEquals("damage.example", inspector.sniHost());
      }
    }

    @Test
    void ignoresAnAuthenticPacketWithReservedBitsSet() {
      QuicInitialKeys.Secrets secrets = QuicInitialKeys.secrets(QuicInitialKeys.newHmac(),
          QuicPackets.QUIC_V1, DCID);
      byte[] reserved = protect(Initial.of(DCID, 0, crypto(hello, 0, hello.length))
          .paddedTo(MIN_DATAGRAM), secrets, 0b10);
      QuicInitialInspector inspector = inspector();
      assertFalse(offer(inspector, reserved));
      assertEquals(0, inspector.packetsOpened());
    }

    @Test
    void ignoresEveryTruncationOfADatagram() {
      // a packet padded past 1200 bytes, so that truncations still pass the size check
      byte[] long1400 = protect(Initial.of(DCID, 0, crypto(hello, 0, hello.length))
          .paddedTo(1400));
      for (int length = 0; length < long1400.length; length++) {
        QuicInitialInspector inspector = inspector();
        assertFalse(offer(inspector, Arrays.copyOf(long1400, length)), "length " + length);
        assertEquals(0, inspector.packetsOpened());
      }
    }

    @Test
    void ignoresDatagramsThatAreNotClientInitials() {
      Random random = new Random(42);
      QuicInitialInspector inspector = inspector();
      for (int i = 0; i < 200; i++) {
        byte[] noise = new byte[MIN_DATAGRAM + random.nextInt(300)];
        random.nextBytes(noise);
        if (i % 2 == 0) {
          // make half of them pass the first checks: long header, version 1, an 8-byte DCID
          noise[0] = (byte) (0xC0 | (noise[0] & 0x0f));
          noise[1] = 0;
          noise[2] = 0;
          noise[3] = 0;
          noise[4] = 1;
          noise[5] = 8;
        }
        assertFalse(offer(inspector, noise));
      }
      assertFalse(offer(inspector, Arrays.copyOf(good, MIN_DATAGRAM - 1)));
      assertEquals(0, inspector.packetsOpened());
      assertEquals(201, inspector.datagramsSeen());
    }
  }

  @Nested
  class Fuzz {
    /**
     * Seeded damage, to both the protected bytes and the frames under protection: the
     * inspector must never throw, and must report "" or a well-formed lowercase host.
     */
    @Test
    void survivesMutatedDatagramsAndFrames() {
      assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
        Random random = new Random(0x9_1c_5a1L);
        byte[] hello = jdkClientHello("fuzz.example");
        QuicInitialKeys.Secrets secrets = QuicInitialKeys.secrets(QuicInitialKeys.newHmac(),
            QuicPackets.QUIC_V1, DCID);
        int hosts = 0;
        int datagrams = 0;
        for (int round = 0; round < 2000; round++) {
          QuicInitialInspector inspector = new QuicInitialInspector(
              random.nextBoolean() ? QuicInitialInspector.DEFAULT_MAX_CRYPTO_BYTES : 300);
          for (int d = 0; d < 3 && !inspector.decided(); d++) {
            byte[] frames = mutate(random, concat(crypto(hello, 0, 60), new byte[] {1},
                crypto(hello, 60, hello.length)), 1 + random.nextInt(4));
            byte[] datagram =
                protect(Initial.of(DCID, d, frames).paddedTo(MIN_DATAGRAM), secrets, 0);
            if (random.nextInt(3) == 0) {
              datagram = mutate(random, datagram, 1 + random.nextInt(3));
            }
            offer(inspector, datagram);
            datagrams++;
          }
          inspector.finish();
          String host = inspector.sniHost();
          assertTrue(host.isEmpty() || LDH_NAME.matcher(host).matches(), host);
          hosts += host.isEmpty() ? 0 : 1;
        }
        assertTrue(hosts > 0, "no mutation left the ClientHello readable: the fuzz reads nothing");
        assertTrue(datagrams > 3000, "only " + datagrams + " datagrams");
      });
    }

    private static byte[] mutate(Random random, byte[] bytes, int mutations) {
      byte[] out = bytes.clone();
      for (int i = 0; i < mutations && out.length > 0; i++) {
        int at = random.nextInt(Math.min(out.length, 120));
        switch (random.nextInt(4)) {
          case 0 -> out[at] ^= (byte) (1 << random.nextInt(8));
          case 1 -> out[at] = (byte) random.nextInt(256);
          case 2 -> out[at] = (byte) (0x40 | random.nextInt(0xc0));
          default -> out = Arrays.copyOf(out, Math.max(1, out.length - random.nextInt(200)));
        }
      }
      return out;
    }
  }
}
