package dev.gatehouse.ingress.wireguard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The engine's view of the keys. The curve's RFC 7748 vectors are checked where the curve
 * lives, in proxy-core's {@code X25519KeysTest}; here, what the handshake relies on.
 */
class WireGuardKeysTest {

  private static final HexFormat HEX = HexFormat.of();

  @Test
  void publicKeyMatchesRfc7748Section61ThroughTheEnginesName() {
    byte[] alice = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
        HEX.formatHex(WireGuardKeys.publicKey(alice)));
  }

  @Test
  void twoGeneratedKeysAgreeOnOneSecret() {
    SplittableRandom random = new SplittableRandom(3);
    byte[] a = WireGuardKeys.generatePrivateKey(random);
    byte[] b = WireGuardKeys.generatePrivateKey(random);
    byte[] ab = WireGuardKeys.dh(a, WireGuardKeys.publicKey(b));
    assertNotNull(ab);
    assertArrayEquals(ab, WireGuardKeys.dh(b, WireGuardKeys.publicKey(a)));
  }

  @Test
  void dhWithSmallOrderPointGivesNullForTheHandshakeToFail() {
    byte[] priv = WireGuardKeys.generatePrivateKey(new SplittableRandom(1));
    assertNull(WireGuardKeys.dh(priv, new byte[32]));
    byte[] one = new byte[32];
    one[0] = 1;
    assertNull(WireGuardKeys.dh(priv, one));
  }

  @Test
  void base64RoundTripsLikeWgGenkey() {
    byte[] key = WireGuardKeys.generatePrivateKey(new SplittableRandom(5));
    String text = WireGuardKeys.toBase64(key);
    assertEquals(WireGuardKeys.BASE64_CHARS, text.length());
    assertArrayEquals(key, WireGuardKeys.fromBase64(text + "\n"));
  }

  @Test
  void refusesAMalformedKeyWithoutPrintingIt() {
    String text = WireGuardKeys.toBase64(WireGuardKeys.generatePrivateKey(new SplittableRandom(9)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WireGuardKeys.fromBase64(text.substring(0, 40)));
    assertFalse(e.getMessage().contains(text.substring(0, 8)), e.getMessage());
  }

  @Test
  void zeroClearsASecret() {
    byte[] secret = WireGuardKeys.generatePrivateKey(new SplittableRandom(11));
    WireGuardKeys.zero(secret);
    assertArrayEquals(new byte[32], secret);
  }
}
