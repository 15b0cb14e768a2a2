package dev.gatehouse.core.inspect;

import static dev.gatehouse.core.inspect.Fixtures.clientHello;
import static dev.gatehouse.core.inspect.Fixtures.concat;
import static dev.gatehouse.core.inspect.Fixtures.everyByte;
import static dev.gatehouse.core.inspect.Fixtures.extension;
import static dev.gatehouse.core.inspect.Fixtures.feed;
import static dev.gatehouse.core.inspect.Fixtures.inspect;
import static dev.gatehouse.core.inspect.Fixtures.offer;
import static dev.gatehouse.core.inspect.Fixtures.records;
import static dev.gatehouse.core.inspect.Fixtures.serverName;
import static dev.gatehouse.core.inspect.Fixtures.sni;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TlsInspectionTest {
  private static final byte[] SUPPORTED_VERSIONS = extension(Fixtures.SUPPORTED_VERSIONS,
      new byte[] {2, 0x03, 0x04});
  private static final byte[] GREASE = extension(Fixtures.GREASE, new byte[0]);

  private static void assertTls(String expectedSni, StreamInspector inspector) {
    assertTrue(inspector.decided());
    assertEquals(DetectedProtocol.TLS, inspector.protocol());
    assertEquals(expectedSni, inspector.sniHost());
    assertEquals("", inspector.httpHost());
  }

  @Test
  void readsTheServerNameOfARealJdkClientHello() {
    byte[] hello = Fixtures.jdkClientHello("www.example.com");
    StreamInspector inspector = feed(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES), hello);
    // decided on the ClientHello alone, without waiting for finish()
    assertTls("www.example.com", inspector);
    assertEquals(hello.length, inspector.bytesSeen());
  }

  @Test
  void decidesAsSoonAsTheClientHelloIsCompleteWhenOfferedByteByByte() {
    byte[] hello = Fixtures.jdkClientHello("a.example.org");
    StreamInspector inspector = new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES);
    feed(inspector, Arrays.copyOf(hello, hello.length - 1), everyByte(hello.length - 1));
    assertFalse(inspector.decided(), "decided before the last byte of the ClientHello");
    feed(inspector, new byte[] {hello[hello.length - 1]});
    assertTls("a.example.org", inspector);
  }

  @Test
  void reassemblesAClientHelloFragmentedOverRecords() {
    byte[] message = clientHello(32, GREASE, sni("split.example.net"), SUPPORTED_VERSIONS);
    // cut inside the handshake header, then inside the server name
    byte[] twoRecords = records(message, 2);
    byte[] manyRecords = records(message, 1, 3, 40, 90, message.length - 1);
    assertTls("split.example.net", inspect(twoRecords));
    assertTls("split.example.net", inspect(manyRecords));
    assertTls("split.example.net", offer(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES),
        manyRecords, everyByte(manyRecords.length)));
  }

  @Test
  void givesNoServerNameWhenTheClientHelloHasNone() {
    assertTls("", inspect(records(clientHello(0, SUPPORTED_VERSIONS))));
    assertTls("", inspect(records(clientHello(0))));
  }

  @Test
  void lowercasesAndDropsOneTrailingDot() {
    assertTls("www.example.com", inspect(records(clientHello(0, sni("WWW.Example.COM.")))));
    assertTls("", inspect(records(clientHello(0, sni("example.com..")))));
    assertTls("_srv.a-b.example", inspect(records(clientHello(0, sni("_srv.A-B.example")))));
  }

  @Test
  void findsTheServerNameBeforeOrAfterOtherExtensions() {
    assertTls("first.example", inspect(records(clientHello(16, sni("first.example"), GREASE,
        SUPPORTED_VERSIONS))));
    assertTls("last.example", inspect(records(clientHello(32, GREASE, SUPPORTED_VERSIONS,
        extension(0xFAFA, new byte[] {0}), sni("last.example")))));
  }

  @Test
  void takesTheFirstHostNameOfSeveral() {
    assertTls("one.example", inspect(records(clientHello(0,
        serverName(0, "one.example", 0, "two.example")))));
    // an unknown name type before it is walked over
    assertTls("two.example", inspect(records(clientHello(0,
        serverName(7, "opaque", 0, "two.example")))));
  }

  @Test
  void refusesServerNamesThatAreNotLdhNames() {
    for (String bad : new String[] {"exa mple.com", "ex\u00e4mple.com", "a..b", ".a", "a/b", "a:443",
        "x".repeat(64) + ".com", "a\u0000b", "a".repeat(256)}) {
      assertTls("", inspect(records(clientHello(0, sni(bad)))));
    }
    assertTls("x".repeat(63) + ".com", inspect(records(clientHello(0, sni("x".repeat(63) + ".com")))));
  }

  @Test
  void voidsTheServerNameOfAMalformedClientHello() {
    byte[] good = clientHello(0, sni("good.example"));
    // extension block one byte longer than the message
    byte[] longExtensions = good.clone();
    int extensionsLength = 4 + 2 + 32 + 1 + 2 + 4 + 2;
    longExtensions[extensionsLength + 1]++;
    assertTls("", inspect(records(longExtensions)));
    // two server_name extensions
    assertTls("", inspect(records(clientHello(0, sni("a.example"), sni("b.example")))));
    // session id over 32 bytes
    assertTls("", inspect(records(clientHello(33, sni("good.example")))));
    // not a ClientHello: a ServerHello as the first message
    byte[] serverHello = good.clone();
    serverHello[0] = 2;
    assertTls("", inspect(records(serverHello)));
  }

  @Test
  void decidesTlsWithoutServerNameOnRecordsThatBreakTheRules() {
    byte[] message = clientHello(0, sni("good.example"));
    byte[] zeroLengthRecord = concat(new byte[] {22, 3, 1, 0, 0}, records(message));
    assertTls("", feed(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES), zeroLengthRecord));
    byte[] oversizedRecord = {22, 3, 3, 0x40, 0x01};
    assertTls("", feed(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES), oversizedRecord));
    // an alert record interleaved before the ClientHello is complete
    byte[] interleaved = records(message, 10);
    interleaved[5 + 10] = 21;
    assertTls("", inspect(interleaved));
  }

  @Test
  void decidesTlsWithoutServerNameWhenTheClientHelloCannotFit() {
    byte[] padding = extension(21, new byte[3000]);
    byte[] hello = records(clientHello(0, sni("big.example"), padding));
    StreamInspector small = feed(new StreamInspector(1024), hello, 100);
    // decided from the handshake length alone, after the first piece
    assertTls("", small);
    assertEquals(100, small.bytesSeen());
    assertTls("big.example", inspect(hello));
  }

  @Test
  void decidesTlsWithoutServerNameWhenRecordHeadersPushItPastTheLimit() {
    byte[] message = clientHello(0, sni("tight.example"), extension(21, new byte[200]));
    byte[] oneRecord = records(message);
    byte[] manyRecords = records(message, 50, 100, 150, 200);
    assertTls("tight.example", inspect(oneRecord));
    StreamInspector limited = offer(new StreamInspector(oneRecord.length + 5), manyRecords);
    assertTls("", limited);
    assertEquals(oneRecord.length + 5, limited.bytesSeen());
  }

  @Test
  void givesTheServerNameOnlyForACompleteClientHelloWhateverThePrefix() {
    byte[] hello = records(clientHello(8, GREASE, sni("prefix.example"), SUPPORTED_VERSIONS), 30);
    for (int length = 1; length <= hello.length; length++) {
      StreamInspector inspector = inspect(Arrays.copyOf(hello, length));
      assertTls(length == hello.length ? "prefix.example" : "", inspector);
      assertEquals(length, inspector.bytesSeen());
    }
    assertEquals(DetectedProtocol.NONE, inspect(new byte[0]).protocol());
  }

  @Test
  void ignoresBytesAfterTheDecision() {
    byte[] hello = records(clientHello(0, sni("x.example")));
    StreamInspector inspector = feed(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES),
        concat(hello, Fixtures.ascii("GET / HTTP/1.1\r\n")), hello.length);
    assertTls("x.example", inspector);
    assertEquals(hello.length, inspector.bytesSeen());
  }

  @Test
  void refusesARecordHeaderThatIsNotTls() {
    for (byte[] start : new byte[][] {{22, 2, 1, 0, 10}, {22, 3, 5, 0, 10}, {23, 3, 3, 0, 10}}) {
      StreamInspector inspector = feed(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES), start);
      assertTrue(inspector.decided(), "waited on bytes that cannot start a TLS handshake");
      assertEquals(DetectedProtocol.NONE, inspector.protocol());
    }
  }
}
