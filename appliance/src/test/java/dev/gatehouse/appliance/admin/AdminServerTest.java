package dev.gatehouse.appliance.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminServerTest {

  private final AtomicBoolean alive = new AtomicBoolean(true);
  private final AtomicBoolean ready = new AtomicBoolean(true);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private AdminServer admin;
  private String base;

  @BeforeEach
  void startAdmin() {
    admin = new AdminServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        Health.of(alive::get, "the event loops stopped"),
        Health.of(ready::get, "configuration not loaded yet"));
    InetSocketAddress bound = admin.start();
    base = "http://127.0.0.1:" + bound.getPort();
  }

  @AfterEach
  void stopAdmin() {
    admin.close();
    http.close();
  }

  @Test
  void answersOkWhileHealthy() throws Exception {
    HttpResponse<String> response = get("/healthz");
    assertEquals(200, response.statusCode());
    assertEquals("{\"status\":\"ok\"}", response.body());
    assertEquals("application/json", response.headers().firstValue("content-type").orElseThrow());
  }

  @Test
  void answersServiceUnavailableWithTheReasonWhenUnhealthy() throws Exception {
    alive.set(false);
    HttpResponse<String> response = get("/healthz");
    assertEquals(503, response.statusCode());
    assertEquals("{\"status\":\"unavailable\",\"reason\":\"the event loops stopped\"}", response.body());
  }

  @Test
  void reportsReadinessApartFromLiveness() throws Exception {
    ready.set(false);
    assertEquals(200, get("/healthz").statusCode());
    HttpResponse<String> response = get("/readyz");
    assertEquals(503, response.statusCode());
    assertEquals("{\"status\":\"unavailable\",\"reason\":\"configuration not loaded yet\"}",
        response.body());

    ready.set(true);
    assertEquals(200, get("/readyz").statusCode());
  }

  @Test
  void answersUnavailableWhenTheCheckItselfFails() throws Exception {
    try (AdminServer broken = new AdminServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        () -> {
          throw new IllegalStateException("boom");
        },
        Health.alwaysHealthy())) {
      int port = broken.start().getPort();
      HttpResponse<String> response = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(503, response.statusCode());
    }
  }

  @Test
  void answersNotFoundForOtherPaths() throws Exception {
    assertEquals(404, get("/nope").statusCode());
  }

  @Test
  void answersMethodNotAllowedForOtherMethods() throws Exception {
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create(base + "/healthz")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, response.statusCode());
    assertEquals("GET, HEAD", response.headers().firstValue("allow").orElseThrow());
  }

  @Test
  void escapesTheReasonAsJson() {
    assertEquals("say \\\"hi\\\"\\n\\\\ \\u0001", AdminServer.jsonEscape("say \"hi\"\n\\ \u0001"));
  }

  @Test
  void refusesAnUnhealthyStatusWithoutReason() {
    assertThrows(IllegalArgumentException.class, () -> Health.Status.failing(" "));
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
