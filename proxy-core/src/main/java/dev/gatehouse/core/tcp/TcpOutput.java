package dev.gatehouse.core.tcp;

import io.netty.buffer.ByteBuf;

/**
 * What a {@link TcpConnection} asks its owner to do; implemented by the glue that owns the
 * flow. Every call comes synchronously from inside a {@code TcpConnection} method, on the
 * flow's thread.
 */
public interface TcpOutput {

  /**
   * Sends one TCP segment to the client. The glue adds ports and checksum and wraps it in IP.
   *
   * @param header seq, ack, flags, window and options; reused by the connection, so read it
   *     during the call only
   * @param data holds the payload at {@code [dataIndex, dataIndex + dataLengthBytes)}, or is
   *     null when there is none; still owned by the connection: copy the bytes during the call,
   *     do not release or keep it
   */
  void emit(SegmentFields header, ByteBuf data, int dataIndex, int dataLengthBytes);

  /**
   * In-order bytes from the client, for the origin. Ownership passes: the glue releases
   * {@code data}. The receive window stays reduced by these bytes until {@link
   * TcpConnection#consumed} returns them.
   */
  void deliver(ByteBuf data);

  /** The client's FIN arrived in order: no more client bytes will come (half-close). */
  void clientFinished();

  /**
   * The send buffer filled ({@code false}) or drained below half ({@code true}); the glue
   * stops and restarts reading the origin. Reported only on change, starting from writable.
   */
  void writable(boolean writable);

  /** The connection reached CLOSED; the last call. Buffers are already released. */
  void closed(CloseCause cause);
}
