package dev.gatehouse.appliance.explicit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** The responses the proxy writes itself, rather than relays from an origin. */
final class ProxyResponses {

  /** RFC 9110 §9.3.6: any 2xx to CONNECT opens the tunnel; this reason phrase is customary. */
  static final HttpResponseStatus CONNECTION_ESTABLISHED =
      new HttpResponseStatus(200, "Connection established");

  private ProxyResponses() {}

  /**
   * The answer to a CONNECT whose origin connected. It carries no Content-Length or
   * Transfer-Encoding, which RFC 9110 §9.3.6 forbids in a 2xx to CONNECT.
   */
  static FullHttpResponse connectionEstablished() {
    return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, CONNECTION_ESTABLISHED);
  }

  /** Answers with {@link #error} and closes the client connection once it is written. */
  static void respondAndClose(ChannelHandlerContext ctx, HttpResponseStatus status, String detail) {
    ctx.writeAndFlush(error(ctx.alloc(), status, detail)).addListener(ChannelFutureListener.CLOSE);
  }

  /**
   * An error the proxy decided, with a one-line text body and {@code Connection: close}:
   * every error path closes the client connection after it.
   */
  static FullHttpResponse error(ByteBufAllocator alloc, HttpResponseStatus status, String detail) {
    byte[] text = (status + ": " + detail + "\n").getBytes(StandardCharsets.UTF_8);
    ByteBuf body = alloc.buffer(text.length).writeBytes(text);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN + "; charset=utf-8")
        .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return response;
  }
}
