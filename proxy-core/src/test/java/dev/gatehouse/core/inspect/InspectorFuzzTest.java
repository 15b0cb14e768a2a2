package dev.gatehouse.core.inspect;

import static dev.gatehouse.core.inspect.Fixtures.ascii;
import static dev.gatehouse.core.inspect.Fixtures.clientHello;
import static dev.gatehouse.core.inspect.Fixtures.extension;
import static dev.gatehouse.core.inspect.Fixtures.records;
import static dev.gatehouse.core.inspect.Fixtures.serverName;
import static dev.gatehouse.core.inspect.Fixtures.sni;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.NetUtil;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Damaged and random first bytes, offered in random pieces: the inspectors must never throw,
 * must decide by {@code finish()}, must stay within {@code maxBytes}, must report only
 * well-formed hosts, and must reach the same facts however the bytes were split.
 */
class InspectorFuzzTest {
  private static final long SEED = 0x1_25ec_7001L;
  private static final int STREAM_ROUNDS = 30_000;
  private static final int DATAGRAM_ROUNDS = 30_000;
  private static final int[] MAX_BYTES = {1, 16, 64, 300, 1024, StreamInspector.DEFAULT_MAX_BYTES};
  private static final Pattern LDH_NAME =
      Pattern.compile("[a-z0-9_-]{1,63}(\\.[a-z0-9_-]{1,63})*");

  private static final List<byte[]> STREAM_SEEDS = List.of(
      Fixtures.jdkClientHello("fuzz.example.com"),
      records(clientHello(32, extension(Fixtures.GREASE, new byte[0]), sni("a.example"),
          extension(Fixtures.SUPPORTED_VERSIONS, new byte[] {2, 3, 4})), 7, 50),
      records(clientHello(0, serverName(0, "one.example", 0, "two.example"))),
      records(clientHello(0)),
      ascii("GET /x HTTP/1.1\r\nHost: www.example.com:8080\r\nAccept: */*\r\n\r\n"),
      ascii("GET http://[2001:2::1]:80/ HTTP/1.1\nHost: other\n\n"),
      ascii("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n"),
      ascii("POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"),
      OtherProtocolsTest.HTTP2_PREFACE, OtherProtocolsTest.SSH, OtherProtocolsTest.RDP_WITH_COOKIE,
      OtherProtocolsTest.RDP_NEG_ONLY, OtherProtocolsTest.S7_CONNECT, OtherProtocolsTest.SMB2_NEGOTIATE,
      OtherProtocolsTest.DNS_OVER_TCP);

  private static final List<byte[]> DATAGRAM_SEEDS = List.of(
      OtherProtocolsTest.quicInitial(), OtherProtocolsTest.dtlsClientHello(),
      OtherProtocolsTest.wireguardInitiation(), OtherProtocolsTest.stunBindingRequest(),
      OtherProtocolsTest.DNS_QUERY);

  /** Facts reached from one offer; the property is that any split reaches the same. */
  private record Facts(DetectedProtocol protocol, String sni, String host) {}

  @Test
  void survivesDamagedAndRandomStreamsWhateverTheSplit() {
    Random random = new Random(SEED);
    int[] recognised = new int[DetectedProtocol.values().length];
    int[] withHost = new int[2];
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      for (int round = 0; round < STREAM_ROUNDS; round++) {
        byte[] bytes = round % 5 == 0 ? randomBytes(random)
            : mutate(STREAM_SEEDS.get(random.nextInt(STREAM_SEEDS.size())), random);
        int maxBytes = MAX_BYTES[random.nextInt(MAX_BYTES.length)];
        Facts whole = check(bytes, maxBytes, new int[0]);
        Facts split = check(bytes, maxBytes, randomCuts(bytes.length, random));
        assertEquals(whole, split, () -> "the split changed the facts of " + HexFormat.of().formatHex(bytes));
        recognised[whole.protocol().ordinal()]++;
        withHost[0] += whole.sni().isEmpty() ? 0 : 1;
        withHost[1] += whole.host().isEmpty() ? 0 : 1;
      }
    });
    // the mutants must reach the parsers' deep paths, not only the early refusals
    assertTrue(recognised[DetectedProtocol.TLS.ordinal()] > STREAM_ROUNDS / 10, Arrays.toString(recognised));
    assertTrue(recognised[DetectedProtocol.HTTP.ordinal()] > STREAM_ROUNDS / 20, Arrays.toString(recognised));
    assertTrue(withHost[0] > STREAM_ROUNDS / 100 && withHost[1] > STREAM_ROUNDS / 100, Arrays.toString(withHost));
  }

  @Test
  void survivesDamagedAndRandomDatagrams() {
    Random random = new Random(SEED + 1);
    for (int round = 0; round < DATAGRAM_ROUNDS; round++) {
      byte[] bytes = round % 4 == 0 ? randomBytes(random)
          : mutate(DATAGRAM_SEEDS.get(random.nextInt(DATAGRAM_SEEDS.size())), random);
      ByteBuf payload = Unpooled.buffer(bytes.length + 4);
      try {
        payload.writeInt(0x5a5a5a5a).writeBytes(bytes).writeZero(payload.writableBytes());
        int readerIndex = payload.readerIndex();
        DetectedProtocol protocol = DatagramInspector.inspect(payload, 4, bytes.length);
        assertTrue(protocol != null && protocol != DetectedProtocol.TLS && protocol != DetectedProtocol.HTTP);
        assertEquals(readerIndex, payload.readerIndex());
      } catch (RuntimeException e) {
        throw new AssertionError("threw on " + HexFormat.of().formatHex(bytes), e);
      } finally {
        payload.release();
      }
    }
  }

  private static Facts check(byte[] bytes, int maxBytes, int[] cuts) {
    StreamInspector inspector = new StreamInspector(maxBytes);
    try {
      Fixtures.offer(inspector, bytes, cuts);
    } catch (RuntimeException e) {
      throw new AssertionError("threw on " + HexFormat.of().formatHex(bytes) + " cut at "
          + Arrays.toString(cuts) + " with maxBytes " + maxBytes, e);
    }
    assertTrue(inspector.decided(), "undecided after finish()");
    assertTrue(inspector.bytesSeen() <= Math.min(maxBytes, bytes.length), "saw too many bytes");
    String sni = inspector.sniHost();
    String host = inspector.httpHost();
    assertTrue(sni.isEmpty() || inspector.protocol() == DetectedProtocol.TLS && LDH_NAME.matcher(sni).matches(),
        () -> "SNI " + sni);
    assertTrue(host.isEmpty() || inspector.protocol() == DetectedProtocol.HTTP && isHost(host), () -> "host " + host);
    return new Facts(inspector.protocol(), sni, host);
  }

  private static boolean isHost(String host) {
    return LDH_NAME.matcher(host).matches()
        || host.matches("[0-9a-f:.]+") && NetUtil.isValidIpV6Address(host);
  }

  private static int[] randomCuts(int length, Random random) {
    if (length < 2) {
      return new int[0];
    }
    int[] cuts = random.ints(random.nextInt(Math.min(length - 1, 40)) + 1, 1, length).sorted().distinct()
        .toArray();
    return cuts;
  }

  private static byte[] randomBytes(Random random) {
    byte[] bytes = new byte[random.nextInt(700)];
    random.nextBytes(bytes);
    if (bytes.length > 0 && random.nextBoolean()) {
      // lead with a byte some recogniser starts with, so that random bytes get past the first
      byte[] starts = {22, 'G', 'P', 'S', 'C', 0, 3};
      bytes[0] = starts[random.nextInt(starts.length)];
    }
    return bytes;
  }

  private static byte[] mutate(byte[] seed, Random random) {
    byte[] bytes = seed.clone();
    int mutations = 1 + random.nextInt(3);
    for (int i = 0; i < mutations && bytes.length > 0; i++) {
      int at = random.nextInt(bytes.length);
      bytes = switch (random.nextInt(5)) {
        case 0 -> {
          bytes[at] ^= (byte) (1 << random.nextInt(8));
          yield bytes;
        }
        case 1 -> Arrays.copyOf(bytes, at);
        case 2 -> insert(bytes, at, random);
        case 3 -> corruptLength(bytes, at, random);
        default -> {
          // a slice repeated: duplicated records, extensions, header lines
          int end = Math.min(bytes.length, at + 1 + random.nextInt(64));
          byte[] longer = Arrays.copyOf(bytes, bytes.length + end - at);
          System.arraycopy(bytes, at, longer, end, bytes.length - at);
          yield longer;
        }
      };
    }
    return bytes;
  }

  private static byte[] insert(byte[] bytes, int at, Random random) {
    byte[] inserted = new byte[1 + random.nextInt(8)];
    random.nextBytes(inserted);
    byte[] longer = new byte[bytes.length + inserted.length];
    System.arraycopy(bytes, 0, longer, 0, at);
    System.arraycopy(inserted, 0, longer, at, inserted.length);
    System.arraycopy(bytes, at, longer, at + inserted.length, bytes.length - at);
    return longer;
  }

  /** Overwrites two bytes with a value length fields get wrong: 0, 1, off by one, huge. */
  private static byte[] corruptLength(byte[] bytes, int at, Random random) {
    if (at + 1 >= bytes.length) {
      return bytes;
    }
    int old = ((bytes[at] & 0xff) << 8) | (bytes[at + 1] & 0xff);
    int[] values = {0, 1, old + 1, old - 1, 0xFFFF, 0x4001, 0x7FFF, random.nextInt(0x10000)};
    int value = values[random.nextInt(values.length)];
    bytes[at] = (byte) (value >> 8);
    bytes[at + 1] = (byte) value;
    return bytes;
  }
}
