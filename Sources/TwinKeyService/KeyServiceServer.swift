import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// HTTPS front of a `KeyService` on SwiftNIO: TLS 1.2+ (swift-nio-ssl), HTTP/1.1
/// with keep-alive, request bodies up to 1 MiB, JSON answers. The TCP peer's
/// address is what bound CIDRs are checked against (no proxy headers are trusted).
public final class KeyServiceServer: Sendable {
  /// Largest request body accepted (bytes); larger bodies get 413.
  public static let maximumBodyBytes = 1 << 20

  public let service: KeyService
  let channel: any Channel
  let group: MultiThreadedEventLoopGroup

  /// The address the server listens on (with the real port when 0 was asked for).
  public var localAddress: SocketAddress? { channel.localAddress }

  /// Binds `host:port` (port 0 picks a free one) and starts serving.
  /// - Parameters:
  ///   - certificateChainPEM: server certificate first, then intermediates/CA.
  ///   - privateKeyPEM: the server certificate's key.
  public init(
    service: KeyService, host: String, port: Int, certificateChainPEM: [String],
    privateKeyPEM: String, threads: Int = 1
  ) throws {
    var chain: [NIOSSLCertificateSource] = []
    for pem in certificateChainPEM {
      for certificate in try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)) {
        chain.append(.certificate(certificate))
      }
    }
    let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
    var configuration = TLSConfiguration.makeServerConfiguration(
      certificateChain: chain, privateKey: .privateKey(key))
    configuration.minimumTLSVersion = .tlsv12
    let sslContext = try NIOSSLContext(configuration: configuration)
    self.service = service
    group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    let bootstrap = ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 256)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withErrorHandling: true)
          try channel.pipeline.syncOperations.addHandler(KeyServiceHTTPHandler(service: service))
        }
      }
      .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
    do {
      channel = try bootstrap.bind(host: host, port: port).wait()
    } catch {
      try? group.syncShutdownGracefully()
      throw error
    }
  }

  /// Stops accepting connections; `waitUntilClosed` then returns. Safe to call
  /// from a signal handler's queue and more than once.
  public func close() {
    channel.close(promise: nil)
  }

  /// Blocks until `close()`, then closes open connections and stops the threads.
  public func waitUntilClosed() throws {
    try channel.closeFuture.wait()
    try group.syncShutdownGracefully()
  }
}

/// Collects one HTTP request, hands it to the `KeyService`, writes the answer.
final class KeyServiceHTTPHandler: ChannelInboundHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  let service: KeyService
  var head: HTTPRequestHead?
  var body: [UInt8] = []
  var bodyTooLarge = false

  init(service: KeyService) { self.service = service }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let requestHead):
      head = requestHead
      body = []
      bodyTooLarge = false
    case .body(var buffer):
      if body.count + buffer.readableBytes > KeyServiceServer.maximumBodyBytes {
        bodyTooLarge = true
      } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
        body.append(contentsOf: bytes)
      }
    case .end:
      guard let requestHead = head else { return }
      head = nil
      let response = answer(requestHead, channel: context.channel)
      write(
        response, keepAlive: requestHead.isKeepAlive, version: requestHead.version,
        context: context)
    }
  }

  func answer(_ requestHead: HTTPRequestHead, channel: any Channel) -> KeyServiceResponse {
    if bodyTooLarge {
      return KeyServiceResponse(
        status: 413, body: .object(["errors": .array([.string("request body too large")])]))
    }
    guard let (path, query) = KeyServiceRequest.splitTarget(requestHead.uri) else {
      return KeyServiceResponse.error(.notFound("no handler for route: paths start with /v1/"))
    }
    let headers = requestHead.headers
    let request = KeyServiceRequest(
      method: requestHead.method.rawValue.uppercased(), path: path, query: query,
      token: headers.first(name: "X-Vault-Token"), wrapTTL: headers.first(name: "X-Vault-Wrap-TTL"),
      body: body, remoteAddress: channel.remoteAddress?.ipAddress ?? "",
      remotePort: channel.remoteAddress?.port ?? 0)
    return service.handle(request)
  }

  func write(
    _ response: KeyServiceResponse, keepAlive: Bool, version: HTTPVersion,
    context: ChannelHandlerContext
  ) {
    var headers = HTTPHeaders()
    headers.add(name: "Cache-Control", value: "no-store")
    var buffer: ByteBuffer? = nil
    if let body = response.body {
      let text = body.serialized() + "\n"
      buffer = context.channel.allocator.buffer(string: text)
      headers.add(name: "Content-Type", value: "application/json")
    }
    headers.add(name: "Content-Length", value: String(buffer?.readableBytes ?? 0))
    headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
    let status = HTTPResponseStatus(statusCode: response.status)
    context.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))),
      promise: nil)
    if let buffer { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
    let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
    if !keepAlive {
      let channel = context.channel
      done.whenComplete { _ in channel.close(promise: nil) }
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    // TLS failures (an unpinned client aborting the handshake) and resets end
    // the connection; the server goes on.
    context.close(promise: nil)
  }
}
