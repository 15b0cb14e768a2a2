package dev.gatehouse.appliance.explicit;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Counts the bytes on an origin connection, first in its pipeline so that it sees the
 * socket's own buffers: what was written toward the origin (the record's "sent") and what
 * was read from it ("received").
 *
 * <p>A "packet" here is one socket read from the origin, or one buffer written to it; for
 * a CONNECT tunnel each written buffer is one read from the client. The kernel's segments
 * are not visible to a socket API, so reads are the nearest honest unit.
 *
 * <p>Runs on the origin channel's event loop, which is also the client's: the fields
 * need no synchronisation.
 */
final class TrafficCounter extends ChannelDuplexHandler {

  private long bytesToOrigin;
  private long bytesFromOrigin;
  private long writesToOrigin;
  private long readsFromOrigin;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf buf) {
      bytesFromOrigin += buf.readableBytes();
      readsFromOrigin++;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    // Empty buffers are flush markers (a half-close waits on one), not traffic.
    if (msg instanceof ByteBuf buf && buf.isReadable()) {
      bytesToOrigin += buf.readableBytes();
      writesToOrigin++;
    }
    ctx.write(msg, promise);
  }

  long bytesToOrigin() {
    return bytesToOrigin;
  }

  long bytesFromOrigin() {
    return bytesFromOrigin;
  }

  long writesToOrigin() {
    return writesToOrigin;
  }

  long readsFromOrigin() {
    return readsFromOrigin;
  }
}
