package dev.gatehouse.appliance.explicit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.appliance.explicit.RequestTarget.Problem;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestTargetTest {

  @ParameterizedTest
  @CsvSource({
      "http://example.com/path?q=1,        example.com, 80,   /path?q=1",
      "http://EXAMPLE.com:8080,            example.com, 8080, /",
      "HTTP://example.com?q,               example.com, 80,   /?q",
      "http://example.com/a#fragment,      example.com, 80,   /a",
      "http://198.18.0.1:81/x,             198.18.0.1,  81,   /x",
      "http://[2001:2::1]:8080/v6,         2001:2::1,   8080, /v6",
      "http://[2001:2::1]/v6,              2001:2::1,   80,   /v6",
      "http://example.com:/empty-port,     example.com, 80,   /empty-port",
  })
  void readsAbsoluteForm(String target, String host, int port, String originForm) {
    RequestTarget parsed = RequestTarget.absoluteForm(target);
    assertTrue(parsed.valid(), parsed.toString());
    assertEquals(new OriginAddress(host, port), parsed.origin());
    assertEquals(originForm, parsed.originForm());
  }

  @ParameterizedTest
  @CsvSource({
      "/index.html,                        NOT_ABSOLUTE_FORM",
      "*,                                  NOT_ABSOLUTE_FORM",
      "https://example.com/,               UNSUPPORTED_SCHEME",
      "ftp://example.com/,                 UNSUPPORTED_SCHEME",
      "http://user:secret@example.com/,    USERINFO",
      "http://exa%41mple.com/,             BAD_AUTHORITY",
      "http://example.com:99999/,          BAD_AUTHORITY",
      "http://example.com:8o/,             BAD_AUTHORITY",
      "http://:80/,                        BAD_AUTHORITY",
      "http:///path,                       BAD_AUTHORITY",
      "http://[2001:2::1/,                 BAD_AUTHORITY",
      "http://[not-an-address]/,           BAD_AUTHORITY",
      "http://[2001:2::1]x/,               BAD_AUTHORITY",
  })
  void refusesAbsoluteForm(String target, Problem problem) {
    RequestTarget parsed = RequestTarget.absoluteForm(target);
    assertEquals(problem, parsed.problem());
    assertNull(parsed.origin());
  }

  @ParameterizedTest
  @CsvSource({
      "example.com:443,     example.com, 443",
      "198.18.0.1:22,       198.18.0.1,  22",
      "[2001:2::1]:443,     2001:2::1,   443",
      "Host_Name.Test:65535, host_name.test, 65535",
  })
  void readsAuthorityForm(String target, String host, int port) {
    RequestTarget parsed = RequestTarget.authorityForm(target);
    assertEquals(new OriginAddress(host, port), parsed.origin());
    assertNull(parsed.originForm());
  }

  @ParameterizedTest
  @CsvSource({
      "example.com",
      "example.com:",
      "example.com:0",
      "example.com:65536",
      "[2001:2::1]",
      "2001:2::1:443",
      "example.com:443/path",
      "user@example.com:443",
  })
  void refusesAuthorityFormWithoutHostAndPort(String target) {
    assertEquals(Problem.BAD_AUTHORITY, RequestTarget.authorityForm(target).problem());
  }

  @ParameterizedTest
  @CsvSource({
      "example.com, 80,   example.com",
      "example.com, 8080, example.com:8080",
      "2001:2::1,   80,   [2001:2::1]",
      "2001:2::1,   81,   [2001:2::1]:81",
  })
  void writesHostHeaderWithoutTheDefaultPort(String host, int port, String expected) {
    assertEquals(expected, new OriginAddress(host, port).hostHeader(RequestTarget.HTTP_DEFAULT_PORT));
  }
}
