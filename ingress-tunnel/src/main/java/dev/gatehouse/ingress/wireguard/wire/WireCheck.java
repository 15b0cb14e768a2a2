package dev.gatehouse.ingress.wireguard.wire;

/** What wrapping a WireGuard message found; only {@link #OK} makes the accessors usable. */
public enum WireCheck {
  /** The message has the expected type, length and zero reserved bytes. */
  OK,
  /** The first byte is not the type this view reads (whitepaper §5.4.2–§5.4.6). */
  BAD_TYPE,
  /** The length is not the message's fixed length (or, for data, under header and tag). */
  BAD_LENGTH,
  /** One of the three reserved bytes after the type is not zero. */
  BAD_RESERVED
}
