import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Why a call to a Vault-compatible server failed. Descriptions never hold a
/// token or a secret value.
public enum VaultClientError: Error, Sendable, CustomStringConvertible {
  /// VAULT_ADDR, VAULT_CACERT or an argument is unusable.
  case configuration(String)
  /// Could not connect, TLS failed, the connection broke or timed out.
  case transport(String)
  /// The server answered with an error status and Vault's `errors` list.
  case server(status: Int, path: String, errors: [String])
  /// The answer was not what the API promises (not JSON, missing fields).
  case invalidResponse(String)

  public var description: String {
    switch self {
    case .configuration(let message), .transport(let message), .invalidResponse(let message):
      return message
    case .server(let status, let path, let errors):
      let detail = errors.isEmpty ? "" : ": " + errors.joined(separator: "; ")
      return "key service refused \(path) (HTTP \(status))\(detail)"
    }
  }
}

/// A client for the subset of Vault's HTTP API twin-sim uses (KV v2, tokens,
/// token roles, response wrapping), against HashiCorp Vault, OpenBao or
/// `twin-sim kms serve`. Configured like the vault CLI:
///
/// - `VAULT_ADDR`: `https://host:port` (default `https://127.0.0.1:8200`; `http://` is allowed
///   for a site's local Vault, twin-sim's own server speaks only TLS);
/// - `VAULT_TOKEN`: the client token (sent as `X-Vault-Token`);
/// - `VAULT_CACERT`: a PEM file; when set, only that CA is trusted (pinning),
///   otherwise the system's trust store. Host names and IP addresses are verified.
///
/// Calls block the calling thread (one connection per call, 30 s limit).
public struct VaultClient: Sendable {
  public var scheme: String
  public var host: String
  public var port: Int
  public var token: String?
  public var caCertificatePath: String?
  public var timeoutSeconds: Int64 = 30

  public init(address: String, token: String?, caCertificatePath: String?)
    throws(VaultClientError)
  {
    guard let components = URLComponents(string: address), let scheme = components.scheme,
      scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty
    else {
      throw .configuration(
        "VAULT_ADDR \"\(address)\" is not an address like https://127.0.0.1:8200")
    }
    self.scheme = scheme
    self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
    port = components.port ?? (scheme == "https" ? 443 : 80)
    self.token = token
    self.caCertificatePath = caCertificatePath
  }

  /// From VAULT_ADDR, VAULT_TOKEN and VAULT_CACERT.
  public static func fromEnvironment(_ environment: [String: String]) throws(VaultClientError)
    -> VaultClient
  {
    let address = environment["VAULT_ADDR"].flatMap { $0.isEmpty ? nil : $0 }
    let token = environment["VAULT_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    let ca = environment["VAULT_CACERT"].flatMap { $0.isEmpty ? nil : $0 }
    return try VaultClient(
      address: address ?? "https://127.0.0.1:8200", token: token, caCertificatePath: ca)
  }

  public struct Response: Sendable {
    public var status: Int
    /// The JSON body (nil for 204 and empty bodies).
    public var body: JSONValue?
  }

  /// One API call. `path` is after `/v1/` (`secret/data/x`). Throws
  /// `.server` for any status >= 400.
  @discardableResult
  public func call(
    _ method: String, _ path: String, body: JSONValue? = nil, wrapTTL: String? = nil,
    query: [String: String] = [:], token overrideToken: String? = nil
  ) throws(VaultClientError) -> Response {
    let response = try send(
      method, path, body: body, wrapTTL: wrapTTL, query: query, token: overrideToken ?? token)
    guard response.status < 400 else {
      var errors: [String] = []
      if case .array(let items)? = response.body?["errors"] {
        errors = items.compactMap(\.stringValue)
      }
      throw .server(status: response.status, path: path, errors: errors)
    }
    return response
  }

  func send(
    _ method: String, _ path: String, body: JSONValue?, wrapTTL: String?,
    query: [String: String], token: String?
  ) throws(VaultClientError) -> Response {
    var sslContext: NIOSSLContext? = nil
    if scheme == "https" {
      var configuration = TLSConfiguration.makeClientConfiguration()
      configuration.minimumTLSVersion = .tlsv12
      if let caCertificatePath {
        do {
          let roots = try NIOSSLCertificate.fromPEMFile(caCertificatePath)
          guard !roots.isEmpty else { throw VaultClientError.configuration("") }
          configuration.trustRoots = .certificates(roots)
        } catch {
          throw .configuration(
            "VAULT_CACERT \(caCertificatePath): cannot read a PEM certificate from it")
        }
      }
      do { sslContext = try NIOSSLContext(configuration: configuration) } catch {
        throw .configuration("cannot set up TLS: \(error)")
      }
    }
    var target =
      "/v1/" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path)
    if !query.isEmpty {
      var components = URLComponents()
      components.queryItems = query.sorted { $0.key < $1.key }.map {
        URLQueryItem(name: $0.key, value: $0.value)
      }
      target += "?" + (components.percentEncodedQuery ?? "")
    }
    var headers = HTTPHeaders()
    let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    headers.add(name: "Host", value: hostHeader)
    headers.add(name: "Connection", value: "close")
    headers.add(name: "X-Vault-Request", value: "true")
    headers.add(name: "Accept", value: "application/json")
    if let token { headers.add(name: "X-Vault-Token", value: token) }
    if let wrapTTL { headers.add(name: "X-Vault-Wrap-TTL", value: wrapTTL) }
    let bodyBytes = body.map { Array($0.serialized().utf8) } ?? []
    if body != nil { headers.add(name: "Content-Type", value: "application/json") }
    headers.add(name: "Content-Length", value: String(bodyBytes.count))

    let group = MultiThreadedEventLoopGroup.singleton
    let serverName = CIDR.addressBytes(host) == nil ? host : nil
    let promise = group.next().makePromise(of: (HTTPResponseHead, [UInt8]).self)
    let bootstrap = ClientBootstrap(group: group)
      .connectTimeout(.seconds(10))
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          if let sslContext {
            try channel.pipeline.syncOperations.addHandler(
              try NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
          }
          try channel.pipeline.syncOperations.addHTTPClientHandlers()
          try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
        }
      }
    let endpoint = "\(hostHeader)"
    let channel: any Channel
    do {
      channel = try bootstrap.connect(host: host, port: port).wait()
    } catch {
      promise.fail(error)
      throw .transport("cannot connect to key service at \(endpoint): \(error)")
    }
    let timeout = channel.eventLoop.scheduleTask(in: .seconds(timeoutSeconds)) {
      promise.fail(
        VaultClientError.transport("no answer from \(endpoint) within \(timeoutSeconds) s"))
      channel.close(promise: nil)
    }
    let head = HTTPRequestHead(
      version: .http1_1, method: HTTPMethod(rawValue: method), uri: target, headers: headers)
    channel.write(HTTPClientRequestPart.head(head), promise: nil)
    if !bodyBytes.isEmpty {
      channel.write(
        HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: bodyBytes))),
        promise: nil)
    }
    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    let result: (HTTPResponseHead, [UInt8])
    do {
      result = try promise.futureResult.wait()
    } catch let error as VaultClientError {
      timeout.cancel()
      throw error
    } catch let error as NIOSSLError {
      timeout.cancel()
      throw .transport(
        "TLS with \(endpoint) failed (is the server's CA the one in VAULT_CACERT?): \(error)")
    } catch {
      timeout.cancel()
      throw .transport("request to \(endpoint) failed: \(error)")
    }
    timeout.cancel()
    channel.close(promise: nil)
    let (responseHead, responseBody) = result
    var parsed: JSONValue? = nil
    if !responseBody.isEmpty {
      do { parsed = try JSONValue.parse(responseBody) } catch {
        throw .invalidResponse(
          "key service at \(endpoint) answered \(path) with HTTP \(responseHead.status.code) "
            + "and a body that is not JSON")
      }
    }
    return Response(status: Int(responseHead.status.code), body: parsed)
  }
}

/// Gathers one HTTP response and completes the promise with it.
final class ResponseCollector: ChannelInboundHandler {
  typealias InboundIn = HTTPClientResponsePart

  let promise: EventLoopPromise<(HTTPResponseHead, [UInt8])>
  var head: HTTPResponseHead?
  var body: [UInt8] = []
  var done = false

  init(promise: EventLoopPromise<(HTTPResponseHead, [UInt8])>) { self.promise = promise }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let responseHead): head = responseHead
    case .body(var buffer):
      if let bytes = buffer.readBytes(length: buffer.readableBytes) {
        body.append(contentsOf: bytes)
      }
    case .end:
      guard !done, let head else { return }
      done = true
      promise.succeed((head, body))
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    if !done {
      done = true
      promise.fail(error)
    }
    context.close(promise: nil)
  }

  func channelInactive(context: ChannelHandlerContext) {
    if !done {
      done = true
      promise.fail(VaultClientError.transport("connection closed before a complete answer"))
    }
    context.fireChannelInactive()
  }
}
