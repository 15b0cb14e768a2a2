package dev.gatehouse.ingress.wireguard;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * A second WireGuard handshake and transport, written in the test from the whitepaper
 * alone (§5.4.2–§5.4.6), sharing no code with the engine: BouncyCastle's own X25519, HMAC
 * and BLAKE2s, the JDK's cipher, plain arrays, one method per message and role. Slow and
 * simple on purpose. One instance is one side of one session.
 */
final class ReferenceWireGuard {

  private final byte[] staticPrivate;
  private final byte[] staticPublic;
  private final byte[] remoteStatic;
  private final byte[] psk;

  private byte[] ck;
  private byte[] h;
  private byte[] ephemeralPrivate;
  private byte[] remoteEphemeral;
  int localIndex;
  int remoteIndex;
  byte[] lastTimestamp;
  byte[] sendKey;
  byte[] receiveKey;

  ReferenceWireGuard(byte[] staticPrivate, byte[] remoteStatic, byte[] pskOrNull) {
    this.staticPrivate = staticPrivate.clone();
    this.staticPublic = new byte[32];
    X25519.scalarMultBase(staticPrivate, 0, staticPublic, 0);
    this.remoteStatic = remoteStatic.clone();
    this.psk = pskOrNull == null ? new byte[32] : pskOrNull.clone();
  }

  byte[] staticPublic() {
    return staticPublic.clone();
  }

  // ---------------------------------------------------------------- initiator

  byte[] initiation(byte[] ephemeral, int senderIndex, byte[] tai64n, byte[] cookieOrNull) {
    localIndex = senderIndex;
    ephemeralPrivate = ephemeral.clone();
    byte[] ePub = new byte[32];
    X25519.scalarMultBase(ephemeralPrivate, 0, ePub, 0);

    ck = blake2s(ascii("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"));
    h = blake2s(concat(ck, ascii("WireGuard v1 zx2c4 Jason@zx2c4.com")));
    h = blake2s(concat(h, remoteStatic));
    ck = kdf(ck, ePub, 1)[0];
    h = blake2s(concat(h, ePub));
    byte[][] ck_k = kdf(ck, x25519(ephemeralPrivate, remoteStatic), 2);
    ck = ck_k[0];
    byte[] encStatic = aead(ck_k[1], 0, staticPublic, h, true);
    h = blake2s(concat(h, encStatic));
    ck_k = kdf(ck, x25519(staticPrivate, remoteStatic), 2);
    ck = ck_k[0];
    byte[] encTime = aead(ck_k[1], 0, tai64n, h, true);
    h = blake2s(concat(h, encTime));

    ByteBuffer m = ByteBuffer.allocate(148).order(ByteOrder.LITTLE_ENDIAN);
    m.put((byte) 1).put(new byte[3]).putInt(senderIndex).put(ePub).put(encStatic).put(encTime);
    return macs(m.array(), 116, cookieOrNull);
  }

  boolean consumeResponse(byte[] msg) {
    ByteBuffer m = ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN);
    if (msg.length != 92 || msg[0] != 2 || m.getInt(8) != localIndex) {
      return false;
    }
    if (!Arrays.equals(mac(blake2s(concat(ascii("mac1----"), staticPublic)),
        Arrays.copyOf(msg, 60)), Arrays.copyOfRange(msg, 60, 76))) {
      return false;
    }
    byte[] eR = Arrays.copyOfRange(msg, 12, 44);
    byte[] c = kdf(ck, eR, 1)[0];
    byte[] hh = blake2s(concat(h, eR));
    c = kdf(c, x25519(ephemeralPrivate, eR), 1)[0];
    c = kdf(c, x25519(staticPrivate, eR), 1)[0];
    byte[][] c_t_k = kdf(c, psk, 3);
    c = c_t_k[0];
    hh = blake2s(concat(hh, c_t_k[1]));
    byte[] empty = aead(c_t_k[2], 0, Arrays.copyOfRange(msg, 44, 60), hh, false);
    if (empty == null || empty.length != 0) {
      return false;
    }
    remoteIndex = m.getInt(4);
    byte[][] t = kdf(c, new byte[0], 2);
    sendKey = t[0];
    receiveKey = t[1];
    return true;
  }

  // ---------------------------------------------------------------- responder

  boolean consumeInitiation(byte[] msg) {
    if (msg.length != 148 || msg[0] != 1) {
      return false;
    }
    if (!Arrays.equals(mac(blake2s(concat(ascii("mac1----"), staticPublic)),
        Arrays.copyOf(msg, 116)), Arrays.copyOfRange(msg, 116, 132))) {
      return false;
    }
    byte[] c = blake2s(ascii("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"));
    byte[] hh = blake2s(concat(c, ascii("WireGuard v1 zx2c4 Jason@zx2c4.com")));
    hh = blake2s(concat(hh, staticPublic));
    byte[] eI = Arrays.copyOfRange(msg, 8, 40);
    c = kdf(c, eI, 1)[0];
    hh = blake2s(concat(hh, eI));
    byte[][] c_k = kdf(c, x25519(staticPrivate, eI), 2);
    c = c_k[0];
    byte[] encStatic = Arrays.copyOfRange(msg, 40, 88);
    byte[] sI = aead(c_k[1], 0, encStatic, hh, false);
    if (sI == null || !Arrays.equals(sI, remoteStatic)) {
      return false;
    }
    hh = blake2s(concat(hh, encStatic));
    c_k = kdf(c, x25519(staticPrivate, remoteStatic), 2);
    c = c_k[0];
    byte[] encTime = Arrays.copyOfRange(msg, 88, 116);
    byte[] time = aead(c_k[1], 0, encTime, hh, false);
    if (time == null) {
      return false;
    }
    hh = blake2s(concat(hh, encTime));
    ck = c;
    h = hh;
    remoteEphemeral = eI;
    lastTimestamp = time;
    remoteIndex = ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
    return true;
  }

  byte[] response(byte[] ephemeral, int senderIndex, byte[] cookieOrNull) {
    localIndex = senderIndex;
    byte[] eR = new byte[32];
    X25519.scalarMultBase(ephemeral, 0, eR, 0);
    ck = kdf(ck, eR, 1)[0];
    h = blake2s(concat(h, eR));
    ck = kdf(ck, x25519(ephemeral, remoteEphemeral), 1)[0];
    ck = kdf(ck, x25519(ephemeral, remoteStatic), 1)[0];
    byte[][] c_t_k = kdf(ck, psk, 3);
    ck = c_t_k[0];
    h = blake2s(concat(h, c_t_k[1]));
    byte[] empty = aead(c_t_k[2], 0, new byte[0], h, true);
    h = blake2s(concat(h, empty));
    byte[][] t = kdf(ck, new byte[0], 2);
    receiveKey = t[0];
    sendKey = t[1];

    ByteBuffer m = ByteBuffer.allocate(92).order(ByteOrder.LITTLE_ENDIAN);
    m.put((byte) 2).put(new byte[3]).putInt(senderIndex).putInt(remoteIndex).put(eR).put(empty);
    return macs(m.array(), 60, cookieOrNull);
  }

  // ---------------------------------------------------------------- transport

  byte[] transport(long counter, byte[] packet) {
    int padded = (packet.length + 15) / 16 * 16;
    byte[] sealed = aead(sendKey, counter, Arrays.copyOf(packet, padded), new byte[0], true);
    ByteBuffer m = ByteBuffer.allocate(16 + sealed.length).order(ByteOrder.LITTLE_ENDIAN);
    m.put((byte) 4).put(new byte[3]).putInt(remoteIndex).putLong(counter).put(sealed);
    return m.array();
  }

  /** The padded plaintext, or null. */
  byte[] openTransport(byte[] msg) {
    ByteBuffer m = ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN);
    if (msg[0] != 4 || m.getInt(4) != localIndex) {
      return null;
    }
    return aead(receiveKey, m.getLong(8), Arrays.copyOfRange(msg, 16, msg.length), new byte[0],
        false);
  }

  static byte[] tai64n(long epochNanos) {
    ByteBuffer b = ByteBuffer.allocate(12);
    b.putLong(0x4000000000000000L + epochNanos / 1_000_000_000L);
    b.putInt((int) (epochNanos % 1_000_000_000L));
    return b.array();
  }

  // ---------------------------------------------------------------- primitives

  private byte[] macs(byte[] msg, int mac1At, byte[] cookieOrNull) {
    byte[] mac1 = mac(blake2s(concat(ascii("mac1----"), remoteStatic)), Arrays.copyOf(msg, mac1At));
    System.arraycopy(mac1, 0, msg, mac1At, 16);
    if (cookieOrNull != null) {
      System.arraycopy(mac(cookieOrNull, Arrays.copyOf(msg, mac1At + 16)), 0, msg, mac1At + 16, 16);
    }
    return msg;
  }

  static byte[] blake2s(byte[] in) {
    Blake2sDigest d = new Blake2sDigest(256);
    d.update(in, 0, in.length);
    byte[] out = new byte[32];
    d.doFinal(out, 0);
    return out;
  }

  static byte[] mac(byte[] key, byte[] in) {
    Blake2sDigest d = new Blake2sDigest(key, 16, null, null);
    d.update(in, 0, in.length);
    byte[] out = new byte[16];
    d.doFinal(out, 0);
    return out;
  }

  static byte[] hmac(byte[] key, byte[] in) {
    HMac m = new HMac(new Blake2sDigest(256));
    m.init(new KeyParameter(key));
    m.update(in, 0, in.length);
    byte[] out = new byte[32];
    m.doFinal(out, 0);
    return out;
  }

  static byte[][] kdf(byte[] key, byte[] input, int n) {
    byte[] t0 = hmac(key, input);
    byte[][] out = new byte[n][];
    byte[] prev = new byte[0];
    for (int i = 0; i < n; i++) {
      prev = hmac(t0, concat(prev, new byte[] {(byte) (i + 1)}));
      out[i] = prev;
    }
    return out;
  }

  static byte[] x25519(byte[] priv, byte[] pub) {
    byte[] out = new byte[32];
    X25519.scalarMult(priv, 0, pub, 0, out, 0);
    return out;
  }

  static byte[] aead(byte[] key, long counter, byte[] in, byte[] ad, boolean encrypt) {
    byte[] nonce = new byte[12];
    ByteBuffer.wrap(nonce).order(ByteOrder.LITTLE_ENDIAN).putLong(4, counter);
    try {
      Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
      c.init(encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE,
          new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
      c.updateAAD(ad);
      return c.doFinal(in);
    } catch (GeneralSecurityException e) {
      return null;
    }
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
