import Foundation

/// An IPv4 or IPv6 network in CIDR notation (`127.0.0.2/32`, `10.0.0.0/8`,
/// `fd00::/8`); a bare address means a single host. IPv4-mapped IPv6 peer
/// addresses (`::ffff:127.0.0.2`) match IPv4 networks.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
  public let networkBytes: [UInt8]
  public let prefixLength: Int

  public init?(parsing text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count <= 2, let address = CIDR.addressBytes(String(parts[0])) else {
      return nil
    }
    let maximum = address.count * 8
    var length = maximum
    if parts.count == 2 {
      guard let parsed = Int(parts[1]), (0...maximum).contains(parsed) else { return nil }
      length = parsed
    }
    networkBytes = CIDR.masked(address, prefixLength: length)
    prefixLength = length
  }

  public var description: String {
    let address: String
    if networkBytes.count == 4 {
      address = networkBytes.map(String.init).joined(separator: ".")
    } else {
      var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
      var raw = in6_addr()
      withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: networkBytes) }
      inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
      address = String(
        decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    return "\(address)/\(prefixLength)"
  }

  /// Whether the textual address `peer` lies in this network.
  public func contains(address peer: String) -> Bool {
    guard var bytes = CIDR.addressBytes(peer) else { return false }
    if bytes.count == 16, networkBytes.count == 4,
      bytes.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
    {
      bytes = Array(bytes.suffix(4))
    }
    guard bytes.count == networkBytes.count else { return false }
    return CIDR.masked(bytes, prefixLength: prefixLength) == networkBytes
  }

  /// Network-order bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) address text.
  static func addressBytes(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
      return withUnsafeBytes(of: &v4) { Array($0) }
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 {
      return withUnsafeBytes(of: &v6) { Array($0) }
    }
    return nil
  }

  static func masked(_ bytes: [UInt8], prefixLength: Int) -> [UInt8] {
    bytes.enumerated().map { index, byte in
      let bitsHere = max(0, min(8, prefixLength - index * 8))
      let mask: UInt8 = bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bitsHere))
      return byte & mask
    }
  }
}
