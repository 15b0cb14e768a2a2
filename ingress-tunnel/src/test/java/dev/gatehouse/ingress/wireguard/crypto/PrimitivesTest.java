package dev.gatehouse.ingress.wireguard.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/** Known answers for WireGuard's primitives (whitepaper §5.4). */
class PrimitivesTest {

  private static final byte[] ABC = "abc".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] KEY_00_1F = range(0x00, 32);
  private static final String SUNSCREEN = "Ladies and Gentlemen of the class of '99: If I could"
      + " offer you only one tip for the future, sunscreen would be it.";

  @Test
  void hashMatchesRfc7693AppendixB() {
    // RFC 7693 Appendix B: BLAKE2s-256("abc")
    assertHex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
        Blake2s.hash(ABC));
    assertHex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
        Blake2s.hash(new byte[] {'a'}, new byte[] {'b', 'c'}));
  }

  @Test
  void keyedHashPassesRfc7693AppendixESelfTest() {
    // RFC 7693 Appendix E: every digest length and input length, keyed and unkeyed, hashed
    // into one BLAKE2s-256 value; our MAC is the keyed, 16-byte member of that family
    int[] digestLengths = {16, 20, 28, 32};
    int[] inputLengths = {0, 3, 64, 65, 255, 1024};
    Blake2sDigest grand = new Blake2sDigest(256);
    for (int outLen : digestLengths) {
      for (int inLen : inputLengths) {
        byte[] in = selfTestSequence(inLen, inLen);
        byte[] plain = digest(null, outLen, in);
        grand.update(plain, 0, plain.length);
        byte[] key = selfTestSequence(outLen, outLen);
        byte[] keyed = outLen == 16 ? Blake2s.mac(key, in, 0, in.length) : digest(key, outLen, in);
        grand.update(keyed, 0, keyed.length);
      }
    }
    byte[] result = new byte[32];
    grand.doFinal(result, 0);
    assertHex("6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe", result);
  }

  @Test
  void hmacMatchesRfc2104OverBlake2s() {
    // values from Python's hmac module over hashlib.blake2s, and BouncyCastle's generic HMAC
    assertHex("82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f",
        Blake2s.hmac(KEY_00_1F, ABC));
    HMac reference = new HMac(new Blake2sDigest(256));
    reference.init(new KeyParameter(KEY_00_1F));
    reference.update(ABC, 0, ABC.length);
    byte[] expected = new byte[32];
    reference.doFinal(expected, 0);
    assertArrayEquals(expected, Blake2s.hmac(KEY_00_1F, ABC));
  }

  @Test
  void kdfChainsHmacAsWhitepaperSection54Says() {
    String t1 = "c67e0b211ebf48c12c6d41da8fcee207d4c325a8c30f054d97401b14ed212f9f";
    String t2 = "923b032867c597d1df124053325e553b104bf3b76180a46e0c21b44001ec50f6";
    String t3 = "73e5eae9c5d230ea6becb29ab8a49f627aff1eb27586b938a71ae090d4c7a184";
    assertHex(t1, Blake2s.kdf1(KEY_00_1F, ABC));
    byte[][] two = Blake2s.kdf2(KEY_00_1F, ABC);
    assertHex(t1, two[0]);
    assertHex(t2, two[1]);
    byte[][] three = Blake2s.kdf3(KEY_00_1F, ABC);
    assertHex(t1, three[0]);
    assertHex(t2, three[1]);
    assertHex(t3, three[2]);
  }

  @Test
  void macIsKeyedBlake2sOf16Bytes() {
    assertHex("61ba5f165c194692e09d12520cc4c74a", Blake2s.mac(KEY_00_1F, ABC, 0, 3));
  }

  @Test
  void constructionHashIsTheWhitepaperInitialChainingKey() {
    // whitepaper §5.4.2: Ci = HASH(CONSTRUCTION)
    assertHex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36",
        Blake2s.hash("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void chachaPolyMatchesRfc8439Section282() {
    byte[] key = range(0x80, 32);
    byte[] nonce = HexFormat.of().parseHex("070000004041424344454647");
    byte[] aad = HexFormat.of().parseHex("50515253c0c1c2c3c4c5c6c7");
    byte[] sealed = ChaChaPoly.sealWithNonce(key, nonce,
        SUNSCREEN.getBytes(StandardCharsets.US_ASCII), aad);
    assertHex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca967"
        + "1282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58"
        + "fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
        + "1ae10b594f09e26a7e902ecbd0600691", sealed);
    assertEquals(SUNSCREEN, new String(ChaChaPoly.openWithNonce(key, nonce, sealed, aad),
        StandardCharsets.US_ASCII));
  }

  @Test
  void hchacha20MatchesXchachaDraftSection221() {
    byte[] nonce = HexFormat.of().parseHex("000000090000004a0000000031415927");
    assertHex("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc",
        HChaCha20.subkey(KEY_00_1F, nonce, 0));
  }

  @Test
  void xchachaPolyMatchesXchachaDraftAppendixA31() {
    byte[] key = range(0x80, 32);
    byte[] nonce = range(0x40, 24);
    byte[] aad = HexFormat.of().parseHex("50515253c0c1c2c3c4c5c6c7");
    byte[] sealed = ChaChaPoly.xseal(key, nonce, SUNSCREEN.getBytes(StandardCharsets.US_ASCII),
        aad);
    assertHex("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6"
        + "440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e"
        + "3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
        + "c0875924c1c7987947deafd8780acf49", sealed);
    assertEquals(SUNSCREEN, new String(ChaChaPoly.xopen(key, nonce, sealed, aad),
        StandardCharsets.US_ASCII));
    sealed[0] ^= 1;
    assertNull(ChaChaPoly.xopen(key, nonce, sealed, aad));
  }

  @Test
  void transportCipherUsesZeroPrefixedLittleEndianCounterNonce() {
    byte[] key = range(0x20, 32);
    long counter = 0x0102030405060708L;
    ChaChaPoly sender = new ChaChaPoly(key);
    byte[] padded = new byte[16];
    System.arraycopy("hello".getBytes(StandardCharsets.US_ASCII), 0, padded, 0, 5);
    // in place at an offset, as the device does inside a larger buffer
    byte[] buf = new byte[3 + 16 + 16 + 5];
    System.arraycopy(padded, 0, buf, 3, 16);
    sender.sealInPlace(counter, buf, 3, 16);

    byte[] nonce = HexFormat.of().parseHex("000000000807060504030201");
    byte[] expected = ChaChaPoly.sealWithNonce(key, nonce, padded, new byte[0]);
    assertArrayEquals(expected, Arrays.copyOfRange(buf, 3, 3 + 32));

    ChaChaPoly receiver = new ChaChaPoly(key);
    byte[] forged = buf.clone();
    assertFalse(receiver.openInPlace(counter + 1, forged, 3, 32));
    assertArrayEquals(buf, forged, "a failed open leaves the bytes as they were");
    assertTrue(receiver.openInPlace(counter, buf, 3, 32));
    assertArrayEquals(padded, Arrays.copyOfRange(buf, 3, 3 + 16));
    assertFalse(receiver.openInPlace(counter, new byte[15], 0, 15), "shorter than a tag");
  }

  @Test
  void reusedNonceSpecGivesEachCounterItsOwnNonce() {
    byte[] key = range(0x40, 32);
    ChaChaPoly sender = new ChaChaPoly(key);
    // counters in turn and out of order: each seal must equal a fresh cipher's
    for (long counter : new long[] {0, 1, 2, 3, 1L << 40, 7, 0xfffffffffffffffeL}) {
      byte[] plain = range((int) counter & 0x7f, 48);
      byte[] buf = Arrays.copyOf(plain, 48 + 16);
      sender.sealInPlace(counter, buf, 0, 48);
      assertArrayEquals(ChaChaPoly.seal(key, counter, plain, new byte[0]), buf, "counter " + counter);
    }
  }

  @Test
  void reusedNonceSpecKeepsTheJdkRefusalOfARepeatedNonce() {
    ChaChaPoly sender = new ChaChaPoly(range(0x60, 32));
    sender.sealInPlace(5, new byte[32], 0, 16);
    // the JDK refuses encrypting twice in a row under the same key and nonce
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> sender.sealInPlace(5, new byte[32], 0, 16));
    assertTrue(refused.getCause().getMessage().contains("Matching key and nonce"),
        refused.getCause().getMessage());
  }

  private static byte[] digest(byte[] key, int outLen, byte[] in) {
    Blake2sDigest d = key == null ? new Blake2sDigest(outLen * 8)
        : new Blake2sDigest(key, outLen, null, null);
    d.update(in, 0, in.length);
    byte[] out = new byte[outLen];
    d.doFinal(out, 0);
    return out;
  }

  // RFC 7693 Appendix E selftest_seq: a Fibonacci-like generator seeded with the length
  private static byte[] selfTestSequence(int length, int seed) {
    byte[] out = new byte[length];
    int a = 0xDEAD4BAD * seed;
    int b = 1;
    for (int i = 0; i < length; i++) {
      int t = a + b;
      a = b;
      b = t;
      out[i] = (byte) (t >>> 24);
    }
    return out;
  }

  static byte[] range(int first, int count) {
    byte[] out = new byte[count];
    for (int i = 0; i < count; i++) {
      out[i] = (byte) (first + i);
    }
    return out;
  }

  static void assertHex(String expected, byte[] actual) {
    assertEquals(expected, HexFormat.of().formatHex(actual));
  }
}
