package dev.gatehouse.core.inspect;

import static dev.gatehouse.core.inspect.Fixtures.ascii;
import static dev.gatehouse.core.inspect.Fixtures.everyByte;
import static dev.gatehouse.core.inspect.Fixtures.feed;
import static dev.gatehouse.core.inspect.Fixtures.inspect;
import static dev.gatehouse.core.inspect.Fixtures.offer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HttpInspectionTest {

  private static void assertHttp(String expectedHost, StreamInspector inspector) {
    assertTrue(inspector.decided());
    assertEquals(DetectedProtocol.HTTP, inspector.protocol());
    assertEquals(expectedHost, inspector.httpHost());
    assertEquals("", inspector.sniHost());
  }

  private static StreamInspector fed(String request) {
    return feed(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES), ascii(request));
  }

  @Test
  void readsTheHostOfAnOriginFormRequestAtTheEndOfTheHead() {
    StreamInspector inspector = fed("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
        + "Accept: */*\r\n\r\nbody");
    assertHttp("www.example.com", inspector);
    assertEquals(ascii("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\nbody").length,
        inspector.bytesSeen());
  }

  @Test
  void waitsForTheEndOfTheHeadBecauseASecondHostWouldVoidTheFirst() {
    StreamInspector inspector = fed("GET / HTTP/1.1\r\nHost: a.example\r\nUser-Agent: t\r\n");
    assertFalse(inspector.decided());
    feed(inspector, ascii("Host: b.example\r\n"));
    // RFC 9112 §3.2: more than one Host is a 400; nothing later can change that
    assertHttp("", inspector);
  }

  @Test
  void takesTheHostOfAnAbsoluteFormTargetOverTheHostHeader() {
    // decided at the request line: RFC 9112 §3.2.2 says the Host field is ignored
    assertHttp("origin.example", fed("GET http://Origin.Example:8080/path?q HTTP/1.1\r\n"));
    assertHttp("origin.example", inspect(ascii("GET https://origin.example HTTP/1.1\r\nHost: other.example\r\n\r\n")));
    assertHttp("", fed("GET http://user@origin.example/ HTTP/1.1\r\n"));
  }

  @Test
  void takesTheHostOfAConnectTarget() {
    assertHttp("tunnel.example", fed("CONNECT tunnel.example:443 HTTP/1.1\r\n"));
    assertHttp("2001:2::1", fed("CONNECT [2001:2::1]:443 HTTP/1.1\r\n"));
  }

  @Test
  void stripsThePortAndTheBracketsOfAnIpv6Literal() {
    assertHttp("example.com", inspect(ascii("GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n")));
    assertHttp("2001:2::abcd", inspect(ascii("GET / HTTP/1.1\r\nHost: [2001:2::ABCD]:80\r\n\r\n")));
    assertHttp("2001:2::1", inspect(ascii("GET / HTTP/1.1\r\nHost: [2001:2::1]\r\n\r\n")));
    assertHttp("198.18.0.1", inspect(ascii("GET / HTTP/1.1\r\nHost: 198.18.0.1:80\r\n\r\n")));
  }

  @Test
  void lowercasesTheHostAndMatchesTheFieldNameInAnyCase() {
    assertHttp("mixed.example", inspect(ascii("GET / HTTP/1.1\r\nhOsT:\tMixed.EXAMPLE. \r\n\r\n")));
  }

  @Test
  void givesNoHostWhenThereIsNone() {
    assertHttp("", inspect(ascii("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n")));
    assertHttp("", inspect(ascii("GET / HTTP/1.1\r\nHost:\r\n\r\n")));
  }

  @Test
  void refusesHostsWithControlCharactersOrOddForms() {
    for (String host : new String[] {"a\u0001b.example", "a b.example", "exa\rmple.com", "[2001:2::1",
        "[v1.x]", "[fe80::1%25eth0]", "a.example:80x", "a.example:123456", "user@a.example", "%61.example"}) {
      assertHttp("", inspect(ascii("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n")));
    }
  }

  @Test
  void refusesAHeadThatBreaksFieldSyntax() {
    // RFC 9112 §5.1: whitespace between field name and colon
    assertHttp("", fed("GET / HTTP/1.1\r\nHost : a.example\r\n"));
    assertHttp("", fed("GET / HTTP/1.1\r\nHost: a.example\r\n continued\r\n"));
    assertHttp("", fed("GET / HTTP/1.1\r\nno colon here\r\n"));
    // a folded line after another field is ignored
    assertHttp("a.example", fed("GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\nHost: a.example\r\n\r\n"));
  }

  @Test
  void acceptsBareLineFeeds() {
    assertHttp("lf.example", fed("POST /form HTTP/1.1\nHost: lf.example\nContent-Length: 0\n\n"));
  }

  @Test
  void readsARequestSplitAnywhere() {
    byte[] request = ascii("GET /a HTTP/1.1\r\nHost: split.example\r\n\r\n");
    assertHttp("split.example", offer(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES), request,
        everyByte(request.length)));
    for (int cut = 1; cut < request.length; cut++) {
      assertHttp("split.example", offer(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES), request, cut));
    }
  }

  @Test
  void acceptsAnyTokenAsMethod() {
    assertHttp("dav.example", inspect(ascii("PROPFIND /x HTTP/1.1\r\nHost: dav.example\r\n\r\n")));
    assertHttp("", inspect(ascii("OPTIONS * HTTP/1.1\r\n\r\n")));
  }

  @Test
  void givesUpAtTheFirstByteThatCannotBeARequestLine() {
    for (String start : new String[] {"GET /a HTTP/2", "GET /a\r\n", "GET  /", "G\u00e9T", "GET /a b",
        "GET / http/1.1", "GET / HTTP/1.1\rx", "{\"json\":1}"}) {
      StreamInspector inspector = fed(start);
      assertTrue(inspector.decided(), start);
      assertEquals(DetectedProtocol.NONE, inspector.protocol(), start);
    }
  }

  @Test
  void callsAnUnfinishedRequestLineHttpOnlyWithAStandardMethod() {
    assertHttp("", inspect(ascii("GET /very/long/path")));
    assertEquals(DetectedProtocol.NONE, inspect(ascii("FROB /very/long/path")).protocol());
    assertEquals(DetectedProtocol.NONE, inspect(ascii("GET")).protocol());
  }

  @Test
  void keepsTheHostReadWhenTheHeadIsCutShort() {
    assertHttp("cut.example", inspect(ascii("GET / HTTP/1.1\r\nHost: cut.example\r\nAccept: te")));
    // the Host line itself was not complete: not trusted
    assertHttp("", inspect(ascii("GET / HTTP/1.1\r\nHost: cut.exa")));
  }

  @Test
  void decidesAtMaxBytesOnWhatWasRead() {
    byte[] request = ascii("GET / HTTP/1.1\r\nHost: big.example\r\nCookie: " + "c".repeat(200) + "\r\n\r\n");
    StreamInspector inspector = feed(new StreamInspector(100), request);
    assertHttp("big.example", inspector);
    assertEquals(100, inspector.bytesSeen());
  }
}
