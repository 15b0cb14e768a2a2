package dev.gatehouse.ingress.wireguard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WireGuardKeysTest {

  private static final HexFormat HEX = HexFormat.of();

  @Test
  void dhMatchesRfc7748Section52() {
    byte[] scalar = HEX.parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    byte[] u = HEX.parseHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    assertEquals("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        HEX.formatHex(WireGuardKeys.dh(scalar, u)));
  }

  @Test
  void publicKeysAndSharedSecretMatchRfc7748Section61() {
    byte[] alice = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    byte[] bob = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    byte[] alicePub = WireGuardKeys.publicKey(alice);
    byte[] bobPub = WireGuardKeys.publicKey(bob);
    assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
        HEX.formatHex(alicePub));
    assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
        HEX.formatHex(bobPub));
    String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    assertEquals(shared, HEX.formatHex(WireGuardKeys.dh(alice, bobPub)));
    assertEquals(shared, HEX.formatHex(WireGuardKeys.dh(bob, alicePub)));
  }

  @Test
  void dhWithSmallOrderPointGivesNull() {
    byte[] priv = WireGuardKeys.generatePrivateKey(new SplittableRandom(1));
    assertNull(WireGuardKeys.dh(priv, new byte[32]));
    byte[] one = new byte[32];
    one[0] = 1;
    assertNull(WireGuardKeys.dh(priv, one));
  }

  @Test
  void generatedKeysAreClamped() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 50; i++) {
      byte[] key = WireGuardKeys.generatePrivateKey(random);
      assertEquals(0, key[0] & 7);
      assertEquals(64, key[31] & 0xC0);
    }
  }

  @Test
  void base64RoundTripsLikeWgGenkey() {
    // RFC 7748 §6.1 Alice as wg would print her
    byte[] alice = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    String text = WireGuardKeys.toBase64(alice);
    assertEquals("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=", text);
    assertEquals(44, text.length());
    assertArrayEquals(alice, WireGuardKeys.fromBase64(text + "\n"));
  }

  @Test
  void refusesWrongLengthsWithoutPrintingTheKey() {
    String tooShort = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LA==";
    String shortKey = tooShort.substring(0, 40);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WireGuardKeys.fromBase64(shortKey));
    assertFalse(e.getMessage().contains(shortKey.substring(0, 8)));
    assertTrue(e.getMessage().contains("44"));

    String notBase64 = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25L*o=";
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> WireGuardKeys.fromBase64(notBase64));
    assertFalse(bad.getMessage().contains("dwdt"));
    assertNull(bad.getCause());

    // 44 characters that decode to 31 bytes ("==" padding)
    String thirtyOne = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LA==";
    assertThrows(IllegalArgumentException.class, () -> WireGuardKeys.fromBase64(thirtyOne));
    assertThrows(IllegalArgumentException.class, () -> WireGuardKeys.toBase64(new byte[31]));
  }
}
