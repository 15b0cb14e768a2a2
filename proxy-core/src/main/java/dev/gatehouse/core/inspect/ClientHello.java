package dev.gatehouse.core.inspect;

/**
 * Reads the server name out of a reassembled ClientHello body (the handshake message
 * without its 4-byte header). Every length is checked against what encloses it; any
 * inconsistency gives "" rather than a guess.
 *
 * <pre>
 *  RFC 8446 §4.1.2 (TLS 1.2 clients send the same layout, RFC 5246 §7.4.1.2):
 *  legacy_version (2) | random (32) | legacy_session_id &lt;0..32&gt; (1-byte length)
 *  | cipher_suites &lt;2..2^16-2&gt; (2-byte length) | legacy_compression_methods &lt;1..2^8-1&gt;
 *  | extensions &lt;8..2^16-1&gt; (2-byte length; absent before TLS 1.2 extensions existed)
 *  Extension (RFC 8446 §4.2): extension_type (2) | extension_data &lt;0..2^16-1&gt;
 *  server_name, type 0 (RFC 6066 §3): ServerNameList &lt;1..2^16-1&gt; of
 *      name_type (1) | HostName &lt;1..2^16-1&gt;    name_type 0 = host_name
 * </pre>
 */
final class ClientHello {
  private static final int LEGACY_VERSION_BYTES = 2;
  private static final int RANDOM_BYTES = 32;
  /** RFC 8446 §4.1.2: legacy_session_id is at most 32 bytes. */
  private static final int MAX_SESSION_ID_BYTES = 32;
  private static final int SERVER_NAME_EXTENSION = 0;
  private static final int HOST_NAME_TYPE = 0;

  private ClientHello() {}

  /** The first host_name of the server_name extension, normalised, or "". */
  static String serverName(byte[] body, int length) {
    int at = LEGACY_VERSION_BYTES + RANDOM_BYTES;
    if (at + 1 > length) {
      return "";
    }
    int sessionIdBytes = body[at] & 0xff;
    if (sessionIdBytes > MAX_SESSION_ID_BYTES) {
      return "";
    }
    at += 1 + sessionIdBytes;

    // RFC 8446 §4.1.2: cipher suites are 2 bytes each, and there is at least one
    if (at + 2 > length) {
      return "";
    }
    int suitesBytes = u16(body, at);
    if (suitesBytes < 2 || (suitesBytes & 1) != 0) {
      return "";
    }
    at += 2 + suitesBytes;

    if (at + 1 > length) {
      return "";
    }
    int compressionBytes = body[at] & 0xff;
    if (compressionBytes < 1) {
      return "";
    }
    at += 1 + compressionBytes;

    // RFC 5246 §7.4.1.2: nothing after the compression methods means no extensions
    if (at == length) {
      return "";
    }
    if (at + 2 > length || at + 2 + u16(body, at) != length) {
      return "";
    }
    return serverNameExtension(body, at + 2, length);
  }

  /** Walks every extension, so that a damaged or repeated one voids the server name. */
  private static String serverNameExtension(byte[] body, int from, int to) {
    String name = null;
    int at = from;
    while (at < to) {
      if (at + 4 > to) {
        return "";
      }
      int type = u16(body, at);
      int dataBytes = u16(body, at + 2);
      int dataStart = at + 4;
      if (dataStart + dataBytes > to) {
        return "";
      }
      if (type == SERVER_NAME_EXTENSION) {
        // RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type"
        if (name != null) {
          return "";
        }
        name = firstHostName(body, dataStart, dataStart + dataBytes);
      }
      at = dataStart + dataBytes;
    }
    return name == null ? "" : name;
  }

  /**
   * RFC 6066 §3 defines only host_name; other name types are walked as if they had the
   * same 2-byte length, which is all a reader can do with a type it does not know.
   */
  private static String firstHostName(byte[] body, int from, int to) {
    if (from + 2 > to || from + 2 + u16(body, from) != to) {
      return "";
    }
    String first = null;
    int at = from + 2;
    if (at == to) {
      return "";
    }
    while (at < to) {
      if (at + 3 > to) {
        return "";
      }
      int nameType = body[at] & 0xff;
      int nameBytes = u16(body, at + 1);
      int nameStart = at + 3;
      if (nameBytes < 1 || nameStart + nameBytes > to) {
        return "";
      }
      if (nameType == HOST_NAME_TYPE && first == null) {
        first = HostNames.ldhName(body, nameStart, nameStart + nameBytes);
      }
      at = nameStart + nameBytes;
    }
    return first == null ? "" : first;
  }

  private static int u16(byte[] bytes, int at) {
    return ((bytes[at] & 0xff) << 8) | (bytes[at + 1] & 0xff);
  }
}
