import Crypto
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// SHA-256 (FIPS 180-4), for the checksums of crates and the catalog: a thin
/// face of swift-crypto's implementation (BoringSSL's, which uses the CPU's
/// SHA extensions where present: about 1.2 GB/s per core on the benchmark
/// machine, measured with `twin-sim catalog add` on a 512 MiB file, against
/// about 0.1 GB/s for the portable Swift version this replaced, which took 5 %
/// of a 100,000-person run to hash its result file). Tested against the NIST
/// example vectors and Python's hashlib.
public struct SHA256 {
  private var hasher = Crypto.SHA256()

  public init() {}

  /// Adds bytes to the message.
  public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
    if let done = bytes.withContiguousStorageIfAvailable({ hasher.update(bufferPointer: .init($0)) }
    ) {
      return done
    }
    hasher.update(data: Array(bytes))
  }

  /// The 32-byte digest; the hasher is finished afterwards.
  public mutating func finalize() -> [UInt8] {
    Array(hasher.finalize())
  }

  /// Lower-case hexadecimal digest of `bytes`.
  public static func hexDigest<Bytes: Collection>(_ bytes: Bytes) -> String
  where Bytes.Element == UInt8 {
    var hasher = SHA256()
    hasher.update(bytes)
    return hex(hasher.finalize())
  }

  /// Lower-case hexadecimal digest of a file's bytes, read with `read(2)` into one
  /// reused 1 MiB buffer. (Reading into a new 4 MiB `Data` per piece made the kernel
  /// map and zero fresh pages each time: a quarter of the time of hashing a 139 MB
  /// results.h5. Mapping the whole file instead would add its size to the process's
  /// resident memory.)
  public static func hexDigest(ofFile url: URL) throws -> String {
    let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw ProvenanceError("\(url.path): cannot open it: \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    var hasher = SHA256()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
    defer { buffer.deallocate() }
    while true {
      let count = read(descriptor, buffer.baseAddress, buffer.count)
      if count == 0 { break }
      if count < 0 {
        if errno == EINTR { continue }
        throw ProvenanceError("\(url.path): cannot read it: \(String(cString: strerror(errno)))")
      }
      hasher.hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
    }
    return hex(hasher.finalize())
  }

  private static func hex(_ digest: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
  }
}
