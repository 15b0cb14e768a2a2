package dev.gatehouse.appliance.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.tunnel.TunnelStatus;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code GET /tunnels} over loopback HTTP: the document, its methods, and where statuses are read. */
class TunnelEndpointsTest {
  /** 2025-03-01T10:00:00.123Z. */
  private static final long HANDSHAKE_MILLIS = 1_740_823_200_123L;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private AdminServer admin;
  private String base;

  private void start(Supplier<List<TunnelStatus>> tunnels) {
    admin = new AdminServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Health.alwaysHealthy(),
        Health.alwaysHealthy(), null, tunnels, null);
    base = "http://127.0.0.1:" + admin.start().getPort();
  }

  @AfterEach
  void stop() {
    admin.close();
    http.close();
  }

  private static Map<String, Long> counters(long packetsIn, long dropsNotIp) {
    Map<String, Long> counters = new LinkedHashMap<>();
    counters.put("packets.in", packetsIn);
    counters.put("bytes.in", packetsIn * 100);
    counters.put("drops.in-not-ip", dropsNotIp);
    return counters;
  }

  private static List<TunnelStatus> twoTunnels() {
    TunnelStatus wireguard = new TunnelStatus("sites", "wireguard", "lyon", true, counters(12, 1), Optional.empty(),
        List.of(new TunnelStatus.Peer("lyon-router", Optional.of(new InetSocketAddress("198.18.0.2", 51820)),
                OptionalLong.of(HANDSHAKE_MILLIS), counters(12, 0)),
            new TunnelStatus.Peer("say \"hi\"\\", Optional.of(new InetSocketAddress("2001:2::2", 51821)),
                OptionalLong.empty(), counters(0, 0)),
            new TunnelStatus.Peer("laptop", Optional.empty(), OptionalLong.empty(), Map.of())));
    TunnelStatus gre = new TunnelStatus("branch-1", "gre", "paris", false, counters(3, 0),
        Optional.of(new TunnelStatus.Health("degraded", HANDSHAKE_MILLIS + 60_000,
            List.of(new TunnelStatus.HealthChange("healthy", 1_740_823_000_000L),
                new TunnelStatus.HealthChange("down", HANDSHAKE_MILLIS)))),
        List.of());
    return List.of(wireguard, gre);
  }

  @Test
  void showsEveryTunnelWithItsCountersHealthAndPeersInOrder() throws Exception {
    start(TunnelEndpointsTest::twoTunnels);

    HttpResponse<String> response = send("GET", "/tunnels");

    assertEquals(200, response.statusCode());
    assertEquals("application/json", response.headers().firstValue("content-type").orElseThrow());
    assertEquals("{\"tunnels\":["
        + "{\"name\":\"sites\",\"type\":\"wireguard\",\"site\":\"lyon\",\"running\":true,"
        + "\"counters\":{\"packets.in\":12,\"bytes.in\":1200,\"drops.in-not-ip\":1},\"health\":null,\"peers\":["
        + "{\"name\":\"lyon-router\",\"endpoint\":\"198.18.0.2:51820\","
        + "\"latest-handshake\":\"2025-03-01T10:00:00.123Z\","
        + "\"counters\":{\"packets.in\":12,\"bytes.in\":1200,\"drops.in-not-ip\":0}},"
        + "{\"name\":\"say \\\"hi\\\"\\\\\",\"endpoint\":\"[2001:2::2]:51821\",\"latest-handshake\":null,"
        + "\"counters\":{\"packets.in\":0,\"bytes.in\":0,\"drops.in-not-ip\":0}},"
        + "{\"name\":\"laptop\",\"endpoint\":null,\"latest-handshake\":null,\"counters\":{}}]},"
        + "{\"name\":\"branch-1\",\"type\":\"gre\",\"site\":\"paris\",\"running\":false,"
        + "\"counters\":{\"packets.in\":3,\"bytes.in\":300,\"drops.in-not-ip\":0},"
        + "\"health\":{\"state\":\"degraded\",\"since\":\"2025-03-01T10:01:00.123Z\",\"history\":["
        + "{\"state\":\"healthy\",\"since\":\"2025-03-01T09:56:40.000Z\"},"
        + "{\"state\":\"down\",\"since\":\"2025-03-01T10:00:00.123Z\"}]},"
        + "\"peers\":[]}]}", response.body());
  }

  @Test
  void readsStatusesOffTheEventLoopSoThatASlowOneHoldsNothingElseUp() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<String> readOn = new CopyOnWriteArrayList<>();
    start(() -> {
      readOn.add(Thread.currentThread().getName());
      try {
        assertTrue(release.await(10, TimeUnit.SECONDS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return List.of();
    });

    CompletableFuture<HttpResponse<String>> slow = http.sendAsync(
        HttpRequest.newBuilder(URI.create(base + "/tunnels")).build(), HttpResponse.BodyHandlers.ofString());
    // the endpoint's one event loop still answers a probe while the statuses are being read
    HttpResponse<String> probe = send("GET", "/healthz");
    assertEquals(200, probe.statusCode());
    assertFalse(slow.isDone());
    release.countDown();

    assertEquals("{\"tunnels\":[]}", slow.get(10, TimeUnit.SECONDS).body());
    assertEquals(List.of("gatehouse-admin-status"), readOn);
  }

  @Test
  void answersServerErrorWhenAStatusCannotBeRead() throws Exception {
    start(() -> {
      throw new IllegalStateException("tunnel sites: interrupted");
    });

    HttpResponse<String> response = send("GET", "/tunnels");

    assertEquals(500, response.statusCode());
    assertEquals("{\"error\":\"reading the tunnels' status failed\"}", response.body());
    assertEquals(200, send("GET", "/healthz").statusCode(), "the endpoint goes on answering");
  }

  @Test
  void answersHeadWithoutBodyAndRefusesOtherMethods() throws Exception {
    start(TunnelEndpointsTest::twoTunnels);

    HttpResponse<String> head = send("HEAD", "/tunnels");
    HttpResponse<String> post = send("POST", "/tunnels");

    assertEquals(200, head.statusCode());
    assertEquals("", head.body());
    assertEquals(send("GET", "/tunnels").body().length(),
        Integer.parseInt(head.headers().firstValue("content-length").orElseThrow()));
    assertEquals(405, post.statusCode());
    assertEquals("GET, HEAD", post.headers().firstValue("allow").orElseThrow());
  }

  @Test
  void hasNoTunnelsPathWithoutStatuses() throws Exception {
    start(null);

    assertEquals(404, send("GET", "/tunnels").statusCode());
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
        .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }
}
