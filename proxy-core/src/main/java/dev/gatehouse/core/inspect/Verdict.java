package dev.gatehouse.core.inspect;

/** What one recogniser makes of the bytes it has seen so far. */
enum Verdict {
  /** The bytes cannot start this protocol, whatever follows. */
  NOT_IT,
  /** Consistent so far; more bytes are needed to say. */
  NEED_MORE,
  /** The bytes are this protocol. */
  RECOGNISED
}
