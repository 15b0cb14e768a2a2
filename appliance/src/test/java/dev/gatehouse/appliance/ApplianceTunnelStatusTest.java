package dev.gatehouse.appliance;

import static dev.gatehouse.core.linux.IsolatedThreads.inFreshNetworkNamespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.appliance.config.GatehouseConfigReader;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.crypto.X25519Keys;
import dev.gatehouse.core.tunnel.TunnelProviders;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The appliance shows its configured tunnels at {@code GET /tunnels}, each as its own type
 * reports it, without naming an ingress class. It runs in a network namespace of its own, so
 * that the tunnel's UDP port and the admin port are free whatever else runs here.
 */
class ApplianceTunnelStatusTest {

  @Test
  void showsEachConfiguredTunnelAsItsTypeReportsItAndNoSecret() throws Exception {
    SecureRandom random = new SecureRandom();
    byte[] privateKey = X25519Keys.generatePrivateKey(random);
    byte[] peerKey = X25519Keys.publicKey(X25519Keys.generatePrivateKey(random));
    byte[] presharedKey = new byte[32];
    random.nextBytes(presharedKey);
    String config = """
        explicit-proxy: { enabled: false }
        admin: { listen: 127.0.0.1:9090 }
        log: { activity: { sink: "off" } }
        proxy: { tcp: { enabled: false }, udp: { enabled: false }, icmp: { enabled: false } }
        tunnels:
          - name: site-a
            type: capture
            site: lyon
          - name: sites
            type: wireguard
            private-key: %s
            listen-address: 127.0.0.1
            peers:
              - name: lyon
                public-key: %s
                preshared-key: %s
                allowed-ips: [198.18.52.0/24]
                endpoint: 198.18.50.10:51820
        """.formatted(X25519Keys.toBase64(privateKey), X25519Keys.toBase64(peerKey),
        X25519Keys.toBase64(presharedKey));
    GatehouseConfigReader reader = new GatehouseConfigReader(
        TunnelProviders.load(getClass().getClassLoader()), SecretSource.of(Map.of()));

    String body = inFreshNetworkNamespace(() -> {
      try (Appliance appliance = Appliance.start(reader.read(new StringReader(config), "inline"))) {
        return get(appliance.adminAddress(), "/tunnels");
      }
    });

    assertTrue(body.startsWith("HTTP/1.1 200 OK\r\n"), body);
    String json = body.substring(body.indexOf("\r\n\r\n") + 4);
    assertTrue(json.startsWith("{\"tunnels\":[{\"name\":\"site-a\",\"type\":\"capture\",\"site\":\"lyon\","
        + "\"running\":true,\"counters\":{\"packets.in\":0,\"bytes.in\":0,\"packets.out\":0,\"bytes.out\":0},"
        + "\"health\":null,\"peers\":[]},"
        + "{\"name\":\"sites\",\"type\":\"wireguard\",\"site\":\"sites\",\"running\":true,"
        + "\"counters\":{\"packets.in\":0,\"bytes.in\":0,\"packets.out\":0,\"bytes.out\":0,\"drops.bad-type\":0,"),
        json);
    assertTrue(json.contains(",\"drops.in-source-not-allowed\":0,"), json);
    assertTrue(json.endsWith("\"peers\":[{\"name\":\"lyon\",\"endpoint\":\"198.18.50.10:51820\","
        + "\"latest-handshake\":null,\"counters\":{\"packets.in\":0,\"bytes.in\":0,\"packets.out\":0,"
        + "\"bytes.out\":0,\"drops.bad-type\":0,\"drops.bad-length\":0,\"drops.bad-reserved\":0,"
        + "\"drops.bad-mac1\":0,\"drops.cookie-required\":0,\"drops.bad-mac2\":0,\"drops.unknown-peer\":0,"
        + "\"drops.stale-timestamp\":0,\"drops.bad-public-key\":0,\"drops.decrypt-failed\":0,"
        + "\"drops.unknown-index\":0,\"drops.unexpected-response\":0,\"drops.unexpected-cookie\":0,"
        + "\"drops.replayed\":0,\"drops.expired-key\":0,\"drops.in-source-not-allowed\":0,"
        + "\"drops.out-no-endpoint\":0,\"drops.out-queue-full\":0,\"drops.out-handshake-gave-up\":0,"
        + "\"drops.out-peer-removed\":0}}]}]}"), json);
    assertFalse(json.contains(X25519Keys.toBase64(privateKey)), "no private key");
    assertFalse(json.contains(X25519Keys.toBase64(presharedKey)), "no preshared key");
  }

  /** One HTTP/1.1 request on a socket of this thread's namespace; the whole answer. */
  private static String get(InetSocketAddress admin, String path) throws Exception {
    try (Socket socket = new Socket(admin.getAddress(), admin.getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: gatehouse\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
