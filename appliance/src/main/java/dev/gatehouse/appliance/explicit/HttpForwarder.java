package dev.gatehouse.appliance.explicit;

import dev.gatehouse.core.log.CloseReason;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FutureListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards absolute-form requests (RFC 9112 §3.2.2) from one client connection to their
 * origins, one exchange at a time, with bodies streamed both ways and never aggregated.
 *
 * <p>The client channel does not read on its own and a {@code FlowControlHandler} hands
 * over one decoded HTTP object per read, so the next object is read only when the origin
 * can take it, and a pipelined request waits until the exchange before it completed:
 * responses cannot be reordered, and what is held is one socket read at most. In the
 * other direction the origin stops reading while the client's channel is not writable.
 *
 * <p>The origin connection stays open between exchanges and is reused while requests name
 * the same origin. A request for another origin closes it, which ends that flow with
 * {@link CloseReason#CLIENT_CLOSED} (the client moved on), and dials the new origin: a
 * client connection holds at most one origin connection, so each flow is one client's
 * run of requests to one origin and an idle client holds one origin socket at most.
 *
 * <p>Every error the proxy answers itself ends with the client connection closed, so
 * that no request body of unknown length has to be skipped.
 *
 * <p>Runs on the client's event loop, where the origin channels are registered too.
 */
final class HttpForwarder {

  private static final Logger LOG = LoggerFactory.getLogger(HttpForwarder.class);

  /** The origin connection in use and the flow it carries. */
  private record OriginLink(OriginAddress origin, Channel channel, ExplicitFlow flow) {}

  private final ChannelHandlerContext clientCtx;
  private final ProxySettings settings;
  private final HttpDecoderConfig decoderConfig;

  private OriginLink link;
  private OriginDial dial;
  private ExplicitFlow dialingFlow;
  private HttpRequest requestWaitingForDial;

  // The exchange in progress.
  private HttpMethod method;
  private HttpVersion clientVersion;
  private boolean requestOpen;
  private boolean responseOpen;
  private boolean responseStarted;
  private boolean interimResponse;
  private boolean dropInterimResponse;
  private boolean originClosesAfterExchange;
  private CloseReason clientClosesAfterExchange;

  // Reading from the client.
  private boolean readPending;
  private boolean waitingForOriginWritable;
  private boolean clientInputShutdown;
  private boolean clientClosing;

  HttpForwarder(ChannelHandlerContext clientCtx, ProxySettings settings,
      HttpDecoderConfig decoderConfig) {
    this.clientCtx = clientCtx;
    this.settings = settings;
    this.decoderConfig = decoderConfig;
  }

  /** Reads the first request. */
  void start() {
    readClient();
  }

  /** A decoded object from the client, other than a CONNECT head; takes ownership. */
  void clientMessage(HttpObject msg) {
    readPending = false;
    if (clientClosing) {
      ReferenceCountUtil.release(msg);
    } else if (msg instanceof HttpRequest request) {
      requestHead(request);
    } else if (msg instanceof HttpContent content) {
      requestContent(content);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  /**
   * The client sent a CONNECT: the origin connection of earlier requests is closed, since
   * the client moved on to a tunnel.
   */
  void handOverToTunnel() {
    readPending = false;
    closeLink(CloseReason.CLIENT_CLOSED);
  }

  /**
   * A client read ended. When it delivered nothing we still wait for, ask again: the
   * flow-control handler forgets a read that ended without a message (the decoder may
   * have needed more bytes), as Netty's read contract has it.
   */
  void clientReadComplete() {
    if (readPending && !clientClosing) {
      clientCtx.read();
    }
  }

  /** The client sent FIN; its connection closes once nothing is left to answer. */
  void clientInputShutdown() {
    clientInputShutdown = true;
    if (readPending) {
      closeClient(CloseReason.CLIENT_CLOSED);
    }
  }

  /** The client's connection is gone. */
  void clientClosed() {
    abort(CloseReason.CLIENT_CLOSED);
  }

  /** Ends the open flows with {@code reason}; the caller closes the client connection. */
  void abort(CloseReason reason) {
    clientClosing = true;
    cancelDial(reason);
    closeLink(reason);
  }

  /** The client's channel became writable or not: the origin reads only while it is. */
  void clientWritabilityChanged() {
    if (link != null) {
      link.channel().config().setAutoRead(clientCtx.channel().isWritable());
    }
  }

  // --- requests -------------------------------------------------------------------------

  private void requestHead(HttpRequest request) {
    if (request.decoderResult().isFailure()) {
      rejectMalformed(request.decoderResult().cause());
      ReferenceCountUtil.release(request);
      return;
    }
    RequestTarget target = RequestTarget.absoluteForm(request.uri());
    if (!target.valid()) {
      reject(HttpResponseStatus.BAD_REQUEST, target.problem().detail(), CloseReason.CLIENT_ERROR);
      ReferenceCountUtil.release(request);
      return;
    }

    beginExchange(request);
    rewriteForOrigin(request, target);

    if (link != null && link.origin().equals(target.origin()) && link.channel().isActive()) {
      sendRequestHead(request);
      return;
    }
    closeLink(CloseReason.CLIENT_CLOSED);
    dial(target.origin(), request);
  }

  private void beginExchange(HttpRequest request) {
    method = request.method();
    clientVersion = request.protocolVersion();
    requestOpen = true;
    responseOpen = true;
    responseStarted = false;
    interimResponse = false;
    dropInterimResponse = false;
    originClosesAfterExchange = false;
    // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
    clientClosesAfterExchange = HttpUtil.isKeepAlive(request) ? null : CloseReason.CLIENT_CLOSED;
  }

  private static void rewriteForOrigin(HttpRequest request, RequestTarget target) {
    HopByHop.strip(request.headers());
    HopByHop.addVia(request.headers(), request.protocolVersion());
    // RFC 9112 §3.2.2: a proxy replaces Host with the authority of the absolute target.
    request.headers().set(HttpHeaderNames.HOST,
        target.origin().hostHeader(RequestTarget.HTTP_DEFAULT_PORT));
    request.setUri(target.originForm());
    // RFC 9110 §6.2: an intermediary sends its own highest conformant version.
    request.setProtocolVersion(HttpVersion.HTTP_1_1);
  }

  private void dial(OriginAddress origin, HttpRequest request) {
    ExplicitFlow flow = new ExplicitFlow(settings.activityLog(), settings.listenerName(),
        (InetSocketAddress) clientCtx.channel().remoteAddress(), origin);
    dialingFlow = flow;
    requestWaitingForDial = request;
    dial = OriginDial.start(clientCtx.channel().eventLoop(), settings.socketChannelType(),
        settings.resolver(), origin, settings.connectTimeout(), false);
    dial.outcome().addListener((FutureListener<DialOutcome>) done -> {
      if (!done.isCancelled()) {
        dialed(origin, flow, done.getNow());
      }
    });
  }

  private void dialed(OriginAddress origin, ExplicitFlow flow, DialOutcome outcome) {
    HttpRequest request = requestWaitingForDial;
    dial = null;
    dialingFlow = null;
    requestWaitingForDial = null;

    switch (outcome) {
      case DialOutcome.Connected connected -> {
        flow.established(connected);
        link = new OriginLink(origin, connected.channel(), flow);
        connected.channel().pipeline().addLast(
            new HttpClientCodec(decoderConfig, false, false), new OriginHandler(link));
        connected.channel().config().setAutoRead(clientCtx.channel().isWritable());
        sendRequestHead(request);
      }
      case DialOutcome.Failed failed -> {
        flow.failed(failed);
        reject(failed.failure().status(), failed.failure().explain(origin),
            failed.failure().closeReason());
      }
    }
  }

  private void sendRequestHead(HttpRequest request) {
    link.channel().writeAndFlush(request);
    continueRequest();
  }

  private void requestContent(HttpContent content) {
    if (content.decoderResult().isFailure()) {
      Throwable cause = content.decoderResult().cause();
      content.release();
      rejectMalformed(cause);
      return;
    }
    if (!requestOpen || link == null) {
      // Only the end marker of a request already refused or cut short can land here.
      content.release();
      return;
    }

    boolean last = content instanceof LastHttpContent;
    link.channel().writeAndFlush(content);
    if (!last) {
      continueRequest();
      return;
    }
    requestOpen = false;
    if (!responseOpen) {
      exchangeComplete();
    }
  }

  /** Reads the next piece of the request body, once the origin can take it. */
  private void continueRequest() {
    if (link.channel().isWritable()) {
      readClient();
    } else {
      waitingForOriginWritable = true;
    }
  }

  private void originWritabilityChanged(OriginLink from) {
    if (from == link && waitingForOriginWritable && link.channel().isWritable()) {
      waitingForOriginWritable = false;
      readClient();
    }
  }

  private void readClient() {
    readPending = true;
    // The flow-control handler answers at once when it holds a decoded object.
    clientCtx.read();
    if (readPending && clientInputShutdown) {
      closeClient(CloseReason.CLIENT_CLOSED);
    }
  }

  // --- responses ------------------------------------------------------------------------

  private void originMessage(OriginLink from, HttpObject msg) {
    if (from != link || clientClosing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg.decoderResult().isFailure() || !responseOpen) {
      // A response that does not parse, or bytes when no response is due.
      ReferenceCountUtil.release(msg);
      originFailed(from, CloseReason.ORIGIN_ERROR, msg.decoderResult().cause());
      return;
    }
    if (msg instanceof HttpResponse response && !prepareResponseHead(response)) {
      ReferenceCountUtil.release(msg);
      originFailed(from, CloseReason.ORIGIN_ERROR, null);
      return;
    }

    boolean last = msg instanceof LastHttpContent;
    if (interimResponse && dropInterimResponse) {
      ReferenceCountUtil.release(msg);
    } else {
      clientCtx.write(msg);
      if (!clientCtx.channel().isWritable()) {
        from.channel().config().setAutoRead(false);
      }
    }
    if (last) {
      responseEnded();
    }
  }

  /**
   * Rewrites a response head for the client. Returns false for a response that cannot be
   * relayed: 101, since the request's Upgrade was removed and nothing was to switch.
   */
  private boolean prepareResponseHead(HttpResponse response) {
    int code = response.status().code();
    if (code == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
      return false;
    }
    boolean originKeepsAlive = HttpUtil.isKeepAlive(response);
    HopByHop.strip(response.headers());
    HopByHop.addVia(response.headers(), response.protocolVersion());
    response.setProtocolVersion(HttpVersion.HTTP_1_1);

    if (code < 200) {
      interimResponse = true;
      // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
      dropInterimResponse = clientVersion.equals(HttpVersion.HTTP_1_0);
      return true;
    }
    responseStarted = true;
    if (!originKeepsAlive) {
      originClosesAfterExchange = true;
    }
    frameForClient(response, code);
    return true;
  }

  /** Decides how the client learns where the body ends, and whether the connection stays. */
  private void frameForClient(HttpResponse response, int code) {
    boolean bodyless = method.equals(HttpMethod.HEAD) || code == 204 || code == 304;
    boolean chunked = HttpUtil.isTransferEncodingChunked(response);
    if (!bodyless && !chunked && !HttpUtil.isContentLengthSet(response)) {
      // RFC 9112 §6.3 (8): the body ends when the origin closes; the client can learn the
      // end only the same way.
      originClosesAfterExchange = true;
      closeClientAfterExchange(CloseReason.ORIGIN_CLOSED);
    } else if (chunked && clientVersion.equals(HttpVersion.HTTP_1_0)) {
      // RFC 9112 §6.1: no Transfer-Encoding to an HTTP/1.0 client; the body goes as is
      // and its end is the end of the connection.
      response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
      closeClientAfterExchange(CloseReason.CLIENT_CLOSED);
    }

    if (clientClosesAfterExchange != null) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (clientVersion.equals(HttpVersion.HTTP_1_0)) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
  }

  private void closeClientAfterExchange(CloseReason reason) {
    if (clientClosesAfterExchange == null) {
      clientClosesAfterExchange = reason;
    }
  }

  private void responseEnded() {
    clientCtx.flush();
    if (interimResponse) {
      interimResponse = false;
      return;
    }
    responseOpen = false;
    if (!requestOpen) {
      exchangeComplete();
    }
    // Otherwise the origin answered before the request body ended (an early error, say):
    // the rest of the body is still forwarded, and the exchange completes with it.
  }

  private void exchangeComplete() {
    responseStarted = false;
    if (originClosesAfterExchange) {
      closeLink(CloseReason.ORIGIN_CLOSED);
    }
    if (clientClosesAfterExchange != null) {
      closeClient(clientClosesAfterExchange);
      return;
    }
    readClient();
  }

  private void originClosed(OriginLink from) {
    if (from != link) {
      return;
    }
    link = null;
    from.flow().end(CloseReason.ORIGIN_CLOSED);
    if (clientClosing || (!requestOpen && !responseOpen)) {
      // Between exchanges: the next request dials again.
      return;
    }
    if (responseStarted) {
      closeClient(CloseReason.ORIGIN_CLOSED);
    } else {
      reject(HttpResponseStatus.BAD_GATEWAY,
          "the origin closed the connection before it answered", CloseReason.ORIGIN_CLOSED);
    }
  }

  private void originFailed(OriginLink from, CloseReason reason, Throwable cause) {
    LOG.debug("flow={} event=origin-error reason={} cause={}",
        from.flow().sessionId(), reason, String.valueOf(cause));
    from.flow().noteCloseReason(reason);
    from.channel().close();
  }

  // --- ends -----------------------------------------------------------------------------

  /** Malformed HTTP from the client (RFC 9112 §2.2): answered when possible, then closed. */
  private void rejectMalformed(Throwable cause) {
    LOG.debug("client={} event=malformed-request cause={}",
        clientCtx.channel().remoteAddress(), String.valueOf(cause));
    HttpResponseStatus status = HttpResponseStatus.BAD_REQUEST;
    if (cause instanceof TooLongHttpLineException) {
      // RFC 9110 §15.5.15: a request-target longer than the server will parse.
      status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
    } else if (cause instanceof TooLongHttpHeaderException) {
      // RFC 6585 §5.
      status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
    }
    String detail = cause instanceof TooLongFrameException
        ? "the request line or header section is longer than this proxy accepts"
        : "the request is not valid HTTP/1.1";
    reject(status, detail, CloseReason.CLIENT_ERROR);
  }

  /**
   * Answers an error the proxy decided, or only closes when a response is already under
   * way, and ends the open flows with {@code reason}.
   */
  private void reject(HttpResponseStatus status, String detail, CloseReason reason) {
    if (responseStarted) {
      closeClient(reason);
      return;
    }
    abort(reason);
    ProxyResponses.respondAndClose(clientCtx, status, detail);
  }

  /** Closes the client connection after what was written to it has been flushed. */
  private void closeClient(CloseReason reason) {
    abort(reason);
    clientCtx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  private void cancelDial(CloseReason reason) {
    if (dial == null) {
      return;
    }
    dial.cancel();
    dialingFlow.end(reason);
    dial = null;
    dialingFlow = null;
    requestWaitingForDial = null;
  }

  private void closeLink(CloseReason reason) {
    if (link == null) {
      return;
    }
    OriginLink closing = link;
    link = null;
    waitingForOriginWritable = false;
    closing.flow().end(reason);
    closing.channel().close();
  }

  /** The last handler of an origin pipeline: hands the origin's events to the forwarder. */
  private final class OriginHandler extends ChannelInboundHandlerAdapter {

    private final OriginLink from;

    OriginHandler(OriginLink from) {
      this.from = from;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpObject httpObject) {
        originMessage(from, httpObject);
      } else {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (from == link) {
        clientCtx.flush();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      originWritabilityChanged(from);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      originClosed(from);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A reset surfaces as an IOException: for the log that is the origin closing.
      CloseReason reason =
          cause instanceof IOException ? CloseReason.ORIGIN_CLOSED : CloseReason.ORIGIN_ERROR;
      originFailed(from, reason, cause);
    }
  }
}
