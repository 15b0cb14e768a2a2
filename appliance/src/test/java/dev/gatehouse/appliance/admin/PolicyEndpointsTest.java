package dev.gatehouse.appliance.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.appliance.config.ConfigFile;
import dev.gatehouse.appliance.config.GatehouseConfigReader;
import dev.gatehouse.appliance.reload.PolicyReloader;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.tunnel.TunnelProviders;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyEndpointsTest {
  private static final String STARTED = """
      policies:
        rules:
          - name: no-ssh
            traffic: 'net.dst.ip in {198.18.20.0/24} and net.dst.port == 22'
            action: block
            established: true
          - name: to-other
            traffic: net.dst.port == 8080
            action: override
            override: "[2001:2::10]:80"
      """;

  private final GatehouseConfigReader reader = new GatehouseConfigReader(
      TunnelProviders.load(getClass().getClassLoader()), SecretSource.of(Map.of()));
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Instant now = Instant.parse("2025-03-01T10:00:00Z");

  @TempDir Path dir;
  private PolicyReloader reloader;
  private AdminServer admin;
  private String base;

  private void start(PolicyReloader policyReloader) {
    reloader = policyReloader;
    admin = new AdminServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Health.alwaysHealthy(),
        Health.alwaysHealthy(), reloader, null);
    base = "http://127.0.0.1:" + admin.start().getPort();
  }

  private Path startFromFile() throws Exception {
    Path file = Files.writeString(dir.resolve("gatehouse.yaml"), STARTED);
    ConfigFile started = ConfigFile.read(reader, file);
    Policies policies = new Policies(started.config().policies().set(),
        started.config().policies().inspectionTimeout());
    start(PolicyReloader.forFile(policies, reader, started, InstantSource.fixed(now)));
    return file;
  }

  @AfterEach
  void stop() {
    admin.close();
    reloader.close();
    http.close();
  }

  @Test
  void listsTheRunningPoliciesInOrder() throws Exception {
    Path file = startFromFile();

    HttpResponse<String> response = send("GET", "/policies");

    assertEquals(200, response.statusCode());
    assertEquals("{\"loaded\":\"2025-03-01T10:00:00Z\",\"trigger\":\"start\",\"file\":\"" + file + "\","
        + "\"default-action\":\"allow\",\"inspection-timeout\":\"3s\",\"policies\":["
        + "{\"name\":\"no-ssh\",\"action\":\"block\",\"traffic\":\"net.dst.ip in {198.18.20.0/24} and"
        + " net.dst.port == 22\",\"established\":true},"
        + "{\"name\":\"to-other\",\"action\":\"override\",\"traffic\":\"net.dst.port == 8080\","
        + "\"override\":\"[2001:2::10]:80\"}]}", response.body());
  }

  @Test
  void reloadsAValidFileAndListsItsPolicies() throws Exception {
    Path file = startFromFile();
    Files.writeString(file, """
        policies:
          default-action: block
          rules:
            - name: web
              traffic: 'net.dst.port == 1'
              action: allow
        """);

    HttpResponse<String> reload = send("POST", "/policies/reload");
    HttpResponse<String> listed = send("GET", "/policies");

    assertEquals(200, reload.statusCode());
    assertEquals("{\"status\":\"reloaded\",\"policies\":1}", reload.body());
    assertTrue(listed.body().contains("\"trigger\":\"admin\""), listed.body());
    assertTrue(listed.body().endsWith("\"default-action\":\"block\",\"inspection-timeout\":\"3s\","
        + "\"policies\":[{\"name\":\"web\",\"action\":\"allow\",\"traffic\":\"net.dst.port == 1\"}]}"),
        listed.body());
  }

  @Test
  void refusesAnInvalidFileWithItsErrorsAndKeepsTheRunningPolicies() throws Exception {
    Path file = startFromFile();
    String before = send("GET", "/policies").body();
    Files.writeString(file, STARTED.replace("net.dst.port == 8080", "net.dst.port = 8080")
        + "admin:\n  listen: nowhere\n");

    HttpResponse<String> reload = send("POST", "/policies/reload");

    assertEquals(422, reload.statusCode());
    assertEquals("{\"status\":\"refused\",\"errors\":["
        + "\"policies.rules[1].traffic: column 14: expected '==', got '=' (line 8)\","
        + "\"admin.listen: expected an address and port like 127.0.0.1:3128 or [::1]:3128, got \\\"nowhere\\\""
        + " (line 12)\"]}", reload.body());
    assertEquals(before, send("GET", "/policies").body());
  }

  @Test
  void namesTheSectionsThatNeedARestart() throws Exception {
    Path file = startFromFile();
    Files.writeString(file, STARTED + "proxy:\n  udp:\n    enabled: false\n");

    HttpResponse<String> reload = send("POST", "/policies/reload");

    assertEquals("{\"status\":\"reloaded\",\"policies\":2,\"restart-needed\":[\"proxy\"]}", reload.body());
  }

  @Test
  void answersConflictWhenThereIsNoFileToReload() throws Exception {
    start(PolicyReloader.withoutFile(Policies.allowAll(), InstantSource.fixed(now)));

    HttpResponse<String> reload = send("POST", "/policies/reload");
    HttpResponse<String> listed = send("GET", "/policies");

    assertEquals(409, reload.statusCode());
    assertTrue(reload.body().startsWith("{\"status\":\"no-file\""), reload.body());
    assertEquals("{\"loaded\":\"2025-03-01T10:00:00Z\",\"trigger\":\"start\",\"default-action\":\"allow\","
        + "\"inspection-timeout\":\"3s\",\"policies\":[]}", listed.body());
  }

  @Test
  void allowsOnlyPostToReloadAndOnlyGetToList() throws Exception {
    startFromFile();

    HttpResponse<String> getReload = send("GET", "/policies/reload");
    HttpResponse<String> postList = send("POST", "/policies");

    assertEquals(405, getReload.statusCode());
    assertEquals("POST", getReload.headers().firstValue("allow").orElseThrow());
    assertEquals(405, postList.statusCode());
    assertEquals("GET, HEAD", postList.headers().firstValue("allow").orElseThrow());
  }

  @Test
  void hasNoPolicyPathsWithoutAReloader() throws Exception {
    try (AdminServer plain = new AdminServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        Health.alwaysHealthy(), Health.alwaysHealthy())) {
      startFromFile();
      String plainBase = "http://127.0.0.1:" + plain.start().getPort();
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(plainBase + "/policies")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(404, response.statusCode());
    }
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }
}
