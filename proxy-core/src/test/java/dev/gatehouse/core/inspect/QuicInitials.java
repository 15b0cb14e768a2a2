package dev.gatehouse.core.inspect;

import dev.gatehouse.core.testing.HexResources;
import dev.gatehouse.core.wire.QuicPackets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client's side, for tests: protects Initial packets (RFC 9001 §5.3, §5.4) with the keys
 * {@link QuicInitialKeys#secrets} derives, and builds the frames they carry. The tests check
 * it against RFC 9001 and RFC 9369 Appendix A.2 byte for byte, so that packets it makes are
 * packets a real client could send.
 */
final class QuicInitials {
  static final byte[] RFC_DCID = HexFormat.of().parseHex("8394c8f03e515708");
  private static final int LENGTH_FIELD_BYTES = 2;

  private QuicInitials() {}

  /** What a protected Initial is made of; {@code packetBytes} pads the payload up to it. */
  record Initial(int version, byte[] dcid, byte[] scid, long packetNumber, int pnLength,
      byte[] frames, int packetBytes) {
    static Initial of(byte[] dcid, long packetNumber, byte[] frames) {
      return new Initial(QuicPackets.QUIC_V1, dcid, new byte[0], packetNumber, 1, frames, 0);
    }

    Initial version(int newVersion) {
      return new Initial(newVersion, dcid, scid, packetNumber, pnLength, frames, packetBytes);
    }

    Initial pnLength(int newLength) {
      return new Initial(version, dcid, scid, packetNumber, newLength, frames, packetBytes);
    }

    Initial paddedTo(int bytes) {
      return new Initial(version, dcid, scid, packetNumber, pnLength, frames, bytes);
    }
  }

  /** {@code initial} protected with the keys of its own DCID. */
  static byte[] protect(Initial initial) {
    return protect(initial, QuicInitialKeys.secrets(QuicInitialKeys.newHmac(), initial.version(),
        initial.dcid()), 0);
  }

  /**
   * {@code initial} protected with {@code secrets}, its first byte's reserved bits set to
   * {@code reservedBits} (RFC 9000 §17.2: zero in a valid packet).
   */
  static byte[] protect(Initial initial, QuicInitialKeys.Secrets secrets, int reservedBits) {
    int pnLength = initial.pnLength();
    int headerBytes = 1 + 4 + 1 + initial.dcid().length + 1 + initial.scid().length + 1
        + LENGTH_FIELD_BYTES + pnLength;
    // RFC 9001 §5.4.2: enough payload that the sample fits
    int minPayload = Math.max(4 - pnLength, initial.packetBytes() - headerBytes
        - QuicInitialKeys.TAG_BYTES);
    byte[] payload = Arrays.copyOf(initial.frames(), Math.max(initial.frames().length, minPayload));
    int length = pnLength + payload.length + QuicInitialKeys.TAG_BYTES;

    ByteArrayOutputStream header = new ByteArrayOutputStream();
    int type = initial.version() == QuicPackets.QUIC_V2 ? 0b01 : 0b00;
    header.write(0xC0 | type << 4 | reservedBits << 2 | (pnLength - 1));
    header.writeBytes(new byte[] {(byte) (initial.version() >>> 24),
        (byte) (initial.version() >>> 16), (byte) (initial.version() >>> 8),
        (byte) initial.version()});
    header.write(initial.dcid().length);
    header.writeBytes(initial.dcid());
    header.write(initial.scid().length);
    header.writeBytes(initial.scid());
    header.write(0);
    header.write(0x40 | length >> 8);
    header.write(length);
    for (int i = pnLength - 1; i >= 0; i--) {
      header.write((int) (initial.packetNumber() >>> (8 * i)));
    }
    byte[] headerBytesArray = header.toByteArray();

    byte[] packet = concat(headerBytesArray, seal(secrets, initial.packetNumber(),
        headerBytesArray, payload));
    protectHeader(secrets.hp(), packet, headerBytesArray.length - pnLength, pnLength);
    return packet;
  }

  private static byte[] seal(QuicInitialKeys.Secrets secrets, long packetNumber, byte[] aad,
      byte[] payload) {
    byte[] nonce = secrets.iv().clone();
    for (int i = 0; i < 8; i++) {
      nonce[11 - i] ^= (byte) (packetNumber >>> (8 * i));
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(secrets.key(), "AES"),
          new GCMParameterSpec(128, nonce));
      cipher.updateAAD(aad);
      return cipher.doFinal(payload);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** RFC 9001 §5.4.1, applied: mask the low 4 bits of the first byte and the packet number. */
  private static void protectHeader(byte[] hp, byte[] packet, int pnOffset, int pnLength) {
    try {
      Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
      ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(hp, "AES"));
      byte[] mask = ecb.doFinal(packet, pnOffset + 4, 16);
      packet[0] ^= (byte) (mask[0] & 0x0f);
      for (int i = 0; i < pnLength; i++) {
        packet[pnOffset + i] ^= mask[1 + i];
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A CRYPTO frame (RFC 9000 §19.6) carrying {@code data[from, to)} at stream offset {@code from}. */
  static byte[] crypto(byte[] data, int from, int to) {
    return concat(new byte[] {0x06}, varint(from), varint(to - from),
        Arrays.copyOfRange(data, from, to));
  }

  /** RFC 9000 §16: the shortest encoding of {@code value}. */
  static byte[] varint(long value) {
    if (value < 0x40) {
      return new byte[] {(byte) value};
    }
    if (value < 0x4000) {
      return new byte[] {(byte) (0x40 | value >> 8), (byte) value};
    }
    if (value < 0x4000_0000) {
      return new byte[] {(byte) (0x80 | value >> 24), (byte) (value >> 16), (byte) (value >> 8),
          (byte) value};
    }
    byte[] bytes = new byte[8];
    for (int i = 0; i < 8; i++) {
      bytes[7 - i] = (byte) (value >>> (8 * i));
    }
    bytes[0] |= (byte) 0xC0;
    return bytes;
  }

  /** The TLS handshake message inside TLS records: their fragments, joined. */
  static byte[] handshakeMessage(byte[] records) {
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    int at = 0;
    while (at + 5 <= records.length) {
      int length = ((records[at + 3] & 0xff) << 8) | (records[at + 4] & 0xff);
      message.write(records, at + 5, length);
      at += 5 + length;
    }
    return message.toByteArray();
  }

  /** A datagram: the packets one after another, padded with zeros to {@code minBytes}. */
  static byte[] datagram(int minBytes, byte[]... packets) {
    byte[] joined = concat(packets);
    return joined.length >= minBytes ? joined : Arrays.copyOf(joined, minBytes);
  }

  static byte[] concat(byte[]... parts) {
    return Fixtures.concat(parts);
  }

  /** A hex resource of this package: lines of hex digits, {@code #} comments skipped. */
  static byte[] hexResource(String name) {
    return HexResources.read("/dev/gatehouse/core/inspect/" + name);
  }
}
