package dev.gatehouse.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class X25519KeysTest {

  private static final HexFormat HEX = HexFormat.of();
  /** RFC 7748 §6.1: Alice's and Bob's private keys, their public keys and what they share. */
  private static final byte[] ALICE = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  private static final byte[] BOB = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  private static final String ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
  private static final String BOB_PUBLIC = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
  private static final String SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

  @Test
  void dhMatchesRfc7748Section52() {
    byte[] scalar = HEX.parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    byte[] u = HEX.parseHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    assertEquals("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        HEX.formatHex(X25519Keys.dh(scalar, u)));
  }

  @Test
  void publicKeysAndSharedSecretMatchRfc7748Section61() {
    byte[] alicePub = X25519Keys.publicKey(ALICE);
    byte[] bobPub = X25519Keys.publicKey(BOB);
    assertEquals(ALICE_PUBLIC, HEX.formatHex(alicePub));
    assertEquals(BOB_PUBLIC, HEX.formatHex(bobPub));
    assertEquals(SHARED, HEX.formatHex(X25519Keys.dh(ALICE, bobPub)));
    assertEquals(SHARED, HEX.formatHex(X25519Keys.dh(BOB, alicePub)));
  }

  @Test
  void anUnclampedPrivateKeyHasTheSamePublicKeyAsItsClampedForm() {
    // RFC 7748's Alice is not clamped: bit 254 is clear and the low bits of byte 0 are set
    byte[] clamped = X25519Keys.clamp(ALICE.clone());
    assertFalse(java.util.Arrays.equals(ALICE, clamped));
    assertEquals(ALICE_PUBLIC, HEX.formatHex(X25519Keys.publicKey(clamped)));
  }

  @Test
  void dhWithASmallOrderPointGivesNull() {
    byte[] priv = X25519Keys.generatePrivateKey(new SplittableRandom(1));
    assertNull(X25519Keys.dh(priv, new byte[32]));
    byte[] one = new byte[32];
    one[0] = 1;
    assertNull(X25519Keys.dh(priv, one));
  }

  @Test
  void generatedKeysAreClampedAndDiffer() {
    SplittableRandom random = new SplittableRandom(7);
    byte[] previous = new byte[32];
    for (int i = 0; i < 50; i++) {
      byte[] key = X25519Keys.generatePrivateKey(random);
      assertEquals(0, key[0] & 7);
      assertEquals(64, key[31] & 0xC0);
      assertFalse(java.util.Arrays.equals(previous, key));
      previous = key;
    }
  }

  @Test
  void base64IsWgsFortyFourCharacters() {
    String text = X25519Keys.toBase64(ALICE);
    assertEquals(Base64.getEncoder().encodeToString(ALICE), text);
    assertEquals(44, text.length());
    assertTrue(text.endsWith("=") && !text.endsWith("=="), text);
    assertArrayEquals(ALICE, X25519Keys.fromBase64(text));
  }

  @Test
  void fromBase64IgnoresSurroundingWhitespaceAsAKeyFileHasIt() {
    String text = X25519Keys.toBase64(ALICE);
    assertArrayEquals(ALICE, X25519Keys.fromBase64(text + "\n"));
    assertArrayEquals(ALICE, X25519Keys.fromBase64("  " + text + "\r\n"));
  }

  @Test
  void refusesAWrongLengthNamingTheLengthNotTheText() {
    String shortKey = X25519Keys.toBase64(ALICE).substring(0, 40);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> X25519Keys.fromBase64(shortKey));
    assertEquals("expected a key of 44 base64 characters, got 40 characters", e.getMessage());
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
        () -> X25519Keys.fromBase64("\n"));
    assertEquals("expected a key of 44 base64 characters, got nothing", empty.getMessage());
  }

  @Test
  void refusesTextThatIsNotBase64WithoutQuotingIt() {
    String text = X25519Keys.toBase64(ALICE);
    String notBase64 = text.substring(0, 40) + "*" + text.substring(41);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> X25519Keys.fromBase64(notBase64));
    assertTrue(e.getMessage().contains("not base64"), e.getMessage());
    assertFalse(e.getMessage().contains("*"), e.getMessage());
    assertFalse(e.getMessage().contains(text.substring(0, 4)), e.getMessage());
    assertNull(e.getCause(), "the JDK's message would quote the text");
  }

  @Test
  void refusesFortyFourCharactersOfAnotherLength() {
    // "==" padding: 44 characters that decode to 31 bytes
    String thirtyOne = Base64.getEncoder().encodeToString(new byte[31]);
    assertEquals(44, thirtyOne.length());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> X25519Keys.fromBase64(thirtyOne));
    assertEquals("expected a key of 32 bytes, got base64 of 31 bytes", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> X25519Keys.toBase64(new byte[31]));
  }

  @Test
  void refusesANonCanonicalSpellingOfAKey() {
    // the last character before '=' carries two bits past the 256: set one of them
    String text = X25519Keys.toBase64(ALICE);
    char last = text.charAt(42);
    String other = text.substring(0, 42) + (char) (last + 1) + "=";
    assertArrayEquals(ALICE, Base64.getDecoder().decode(other), "the JDK decodes both spellings alike");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> X25519Keys.fromBase64(other));
    assertTrue(e.getMessage().contains("another spelling"), e.getMessage());
  }

  @Test
  void zeroClearsASecretAndIgnoresNull() {
    byte[] secret = ALICE.clone();
    X25519Keys.zero(secret);
    assertArrayEquals(new byte[32], secret);
    X25519Keys.zero(null);
  }
}
