package dev.gatehouse.appliance.explicit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

class HopByHopTest {

  @Test
  void removesConnectionOptionsAndTheFixedList() {
    HttpHeaders headers = new DefaultHttpHeaders()
        .add("Connection", "keep-alive, X-Option-One")
        .add("Connection", "x-option-two")
        .add("X-Option-One", "1")
        .add("X-Option-Two", "2")
        .add("Keep-Alive", "timeout=5")
        .add("Proxy-Connection", "keep-alive")
        .add("Proxy-Authorization", "Basic c2VjcmV0")
        .add("Proxy-Authenticate", "Basic realm=x")
        .add("TE", "trailers")
        .add("Trailer", "X-Checksum")
        .add("Upgrade", "h2c")
        .add("X-End-To-End", "kept");

    HopByHop.strip(headers);

    assertEquals(List.of("X-End-To-End"), headers.names().stream().toList());
  }

  @Test
  void keepsFramingFieldsEvenWhenNamedAsConnectionOptions() {
    HttpHeaders headers = new DefaultHttpHeaders()
        .add("Connection", "Content-Length, transfer-encoding, HOST")
        .add("Content-Length", "5")
        .add("Transfer-Encoding", "chunked")
        .add("Host", "example.com");

    HopByHop.strip(headers);

    assertTrue(headers.contains("content-length"));
    assertTrue(headers.contains("transfer-encoding"));
    assertTrue(headers.contains("host"));
    assertFalse(headers.contains("connection"));
  }

  @Test
  void addsViaWithTheReceivedVersionAfterEarlierHops() {
    HttpHeaders headers = new DefaultHttpHeaders().add("Via", "1.1 upstream");

    HopByHop.addVia(headers, HttpVersion.HTTP_1_0);

    assertEquals(List.of("1.1 upstream", "1.0 gatehouse"), headers.getAll("via"));
  }
}
