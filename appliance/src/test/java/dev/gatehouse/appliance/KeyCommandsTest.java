package dev.gatehouse.appliance;

import static dev.gatehouse.appliance.Commands.run;
import static dev.gatehouse.appliance.Commands.runWithInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.appliance.Commands.Outcome;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code gatehouse genkey} and {@code gatehouse pubkey}, and how they agree with wg's. */
class KeyCommandsTest {

  private static final HexFormat HEX = HexFormat.of();
  /** RFC 7748 §6.1: Bob's private key and its public key, in hex as the RFC prints them. */
  private static final String BOB_PRIVATE_HEX = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
  private static final String BOB_PUBLIC_HEX = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";

  private static String base64OfHex(String hex) {
    return Base64.getEncoder().encodeToString(HEX.parseHex(hex));
  }

  @Test
  void genkeyPrintsFortyFourBase64CharactersOfAClampedKey() {
    Outcome outcome = run("genkey");

    assertEquals(0, outcome.exitCode(), outcome.err());
    assertEquals("", outcome.err());
    assertTrue(outcome.out().matches("[A-Za-z0-9+/]{43}=\\n"), outcome.out());
    byte[] key = Base64.getDecoder().decode(outcome.out().strip());
    assertEquals(32, key.length);
    assertEquals(0, key[0] & 0b111, "RFC 7748 §5: the three low bits are clear");
    assertEquals(0b0100_0000, key[31] & 0b1100_0000, "RFC 7748 §5: bit 255 clear, bit 254 set");
  }

  @Test
  void genkeyPrintsANewKeyEachTime() {
    assertNotEquals(run("genkey").out(), run("genkey").out());
  }

  @Test
  void pubkeyOfRfc7748BobIsTheRfcsPublicKey() {
    Outcome outcome = runWithInput(base64OfHex(BOB_PRIVATE_HEX) + "\n", "pubkey");

    assertEquals(0, outcome.exitCode(), outcome.err());
    assertEquals(base64OfHex(BOB_PUBLIC_HEX) + "\n", outcome.out());
  }

  @Test
  void pubkeyTakesAKeyWithoutANewlineOrWithTrailingWhitespace() {
    String expected = base64OfHex(BOB_PUBLIC_HEX) + "\n";
    assertEquals(expected, runWithInput(base64OfHex(BOB_PRIVATE_HEX), "pubkey").out());
    assertEquals(expected, runWithInput(base64OfHex(BOB_PRIVATE_HEX) + " \r\n\n", "pubkey").out());
  }

  @Test
  void pubkeyOfGenkeysOutputAgreesWithTheKeysOwnDerivation() {
    String privateKey = run("genkey").out();
    Outcome outcome = runWithInput(privateKey, "pubkey");

    assertEquals(0, outcome.exitCode(), outcome.err());
    assertTrue(outcome.out().matches("[A-Za-z0-9+/]{43}=\\n"), outcome.out());
    assertNotEquals(privateKey, outcome.out());
  }

  @Test
  void pubkeyRefusesAShortKeyNamingItsLengthWithoutEchoingIt() {
    String shortKey = base64OfHex(BOB_PRIVATE_HEX).substring(0, 40);
    Outcome outcome = runWithInput(shortKey + "\n", "pubkey");

    assertEquals(1, outcome.exitCode());
    assertEquals("", outcome.out());
    assertEquals("gatehouse: pubkey: standard input: expected a key of 44 base64 characters, got 40"
        + " characters\n", outcome.err());
  }

  @Test
  void pubkeyRefusesTextThatIsNotBase64WithoutEchoingIt() {
    String key = base64OfHex(BOB_PRIVATE_HEX);
    String bad = key.substring(0, 20) + "!" + key.substring(21);
    Outcome outcome = runWithInput(bad, "pubkey");

    assertEquals(1, outcome.exitCode());
    assertEquals("", outcome.out());
    assertTrue(outcome.err().contains("not base64"), outcome.err());
    assertFalse(outcome.err().contains(key.substring(0, 8)), outcome.err());
    assertFalse(outcome.err().contains("!"), outcome.err());
  }

  @Test
  void pubkeyRefusesEmptyInputAndAnOverlongOne() {
    Outcome empty = runWithInput("", "pubkey");
    assertEquals(1, empty.exitCode());
    assertEquals("gatehouse: pubkey: standard input: expected a key of 44 base64 characters, got nothing\n",
        empty.err());

    String twoKeys = base64OfHex(BOB_PRIVATE_HEX) + base64OfHex(BOB_PUBLIC_HEX);
    Outcome twice = runWithInput(twoKeys, "pubkey");
    assertEquals(1, twice.exitCode());
    assertEquals("", twice.out());
    assertFalse(twice.err().contains(twoKeys.substring(0, 8)), twice.err());
  }

  /**
   * Debian's {@code wg} (wireguard-tools, installed by scripts/provision) derives the same
   * public keys, from random 32-byte keys, clamped or not, and each tool reads the other's
   * private keys.
   */
  @Test
  void pubkeyAgreesWithWgPubkey() throws Exception {
    SecureRandom random = new SecureRandom();
    for (int i = 0; i < 8; i++) {
      byte[] key = new byte[32];
      random.nextBytes(key);
      String privateKey = Base64.getEncoder().encodeToString(key) + "\n";
      assertEquals(wg(privateKey, "pubkey"), runWithInput(privateKey, "pubkey").out(), "key " + i);
    }
    String ours = run("genkey").out();
    assertEquals(wg(ours, "pubkey"), runWithInput(ours, "pubkey").out());
    String theirs = wg("", "genkey");
    assertEquals(wg(theirs, "pubkey"), runWithInput(theirs, "pubkey").out());
  }

  /** Runs {@code wg COMMAND} with {@code stdin}; its standard output, or the test fails. */
  static String wg(String stdin, String command) throws IOException, InterruptedException {
    Process wg;
    try {
      wg = new ProcessBuilder("wg", command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    } catch (IOException e) {
      throw new AssertionError("wg is missing: install Debian's wireguard-tools (scripts/provision does)", e);
    }
    try (OutputStream in = wg.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.US_ASCII));
    }
    byte[] out = wg.getInputStream().readAllBytes();
    assertTrue(wg.waitFor(10, TimeUnit.SECONDS), "wg " + command + " did not exit");
    assertEquals(0, wg.exitValue(), "wg " + command + " failed");
    return new String(out, StandardCharsets.US_ASCII);
  }
}
