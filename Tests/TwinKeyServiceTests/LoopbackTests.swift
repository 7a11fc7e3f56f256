import Crypto
import Foundation
import Testing

@testable import TwinKeyService

/// Server and client over TLS on loopback, with the CA generated in a state folder.
struct LoopbackTests {
  static func temporaryFolder() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("kms-\(UUID().uuidString)").path
  }

  static func startServer(stateFolder: String) throws -> (KeyServiceServer, StateDirectory) {
    let state = try StateDirectory(path: stateFolder)
    let (chain, key) = try state.serverCredentials(names: ["127.0.0.1"])
    let service = KeyService(audit: try AuditLog(path: nil, key: try state.auditKey()))
    let server = try KeyServiceServer(
      service: service, host: "127.0.0.1", port: 0, certificateChainPEM: chain,
      privateKeyPEM: key)
    return (server, state)
  }

  @Test func pinnedClientWritesAndReadsASecretOverTLS() throws {
    let folder = Self.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let (server, state) = try Self.startServer(stateFolder: folder)
    defer {
      server.close()
      try? server.waitUntilClosed()
    }
    let port = try #require(server.localAddress?.port)
    let client = try VaultClient(
      address: "https://127.0.0.1:\(port)", token: server.service.rootToken,
      caCertificatePath: state.caCertificatePath)
    try client.kvPut("secret/twin-sim/jobs/a", data: ["identity": .string("AGE-SECRET-KEY-1X")])
    #expect(
      try client.kvGet("secret/twin-sim/jobs/a") == ["identity": .string("AGE-SECRET-KEY-1X")])
    #expect(throws: VaultClientError.self) { try client.kvGet("secret/twin-sim/jobs/none") }

    var request = VaultClient.TokenRequest()
    request.numUses = 2
    let wrapped = try client.createToken(request, wrapTTL: "1m")
    let wrappingToken = try #require(wrapped["wrap_info"]?["token"]?.stringValue)
    let anonymous = try VaultClient(
      address: "https://127.0.0.1:\(port)", token: nil, caCertificatePath: state.caCertificatePath)
    let unwrapped = try anonymous.unwrap(wrappingToken)
    let fields = Dictionary(uniqueKeysWithValues: VaultClient.fields(of: unwrapped))
    #expect(fields["token"]?.stringValue?.hasPrefix("hvs.") == true)
    #expect(throws: VaultClientError.self) { try anonymous.unwrap(wrappingToken) }

    // Restarting on the same folder keeps the CA: the pin stays valid.
    let caBefore = try String(contentsOfFile: state.caCertificatePath, encoding: .utf8)
    let (again, _) = try Self.startServer(stateFolder: folder)
    defer {
      again.close()
      try? again.waitUntilClosed()
    }
    #expect(try String(contentsOfFile: state.caCertificatePath, encoding: .utf8) == caBefore)
  }

  @Test func clientPinnedToAnotherCARefusesTheServer() throws {
    let folder = Self.temporaryFolder()
    let otherFolder = Self.temporaryFolder()
    defer {
      try? FileManager.default.removeItem(atPath: folder)
      try? FileManager.default.removeItem(atPath: otherFolder)
    }
    let (server, _) = try Self.startServer(stateFolder: folder)
    defer {
      server.close()
      try? server.waitUntilClosed()
    }
    let other = try StateDirectory(path: otherFolder)
    _ = try other.serverCredentials(names: [])
    let port = try #require(server.localAddress?.port)
    let client = try VaultClient(
      address: "https://127.0.0.1:\(port)", token: server.service.rootToken,
      caCertificatePath: other.caCertificatePath)
    do {
      _ = try client.call("GET", "auth/token/lookup-self")
      Issue.record("a client pinned to another CA reached the server")
    } catch {
      guard case .transport(let message) = error else {
        Issue.record("expected a transport error, got \(error)")
        return
      }
      #expect(message.contains("TLS"))
    }
  }
}
