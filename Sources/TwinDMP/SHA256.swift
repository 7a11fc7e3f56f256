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

  /// Lower-case hexadecimal digest of a file's bytes. The file is mapped into memory
  /// and hashed where the page cache holds it (a run's results.h5 was just written):
  /// no copy into a buffer, which took a quarter of the time of hashing a 139 MB file
  /// read in pieces. Files that cannot be mapped (empty, or special files) are read.
  public static func hexDigest(ofFile url: URL) throws -> String {
    let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw ProvenanceError("\(url.path): cannot open it: \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    var status = stat()
    if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_size > 0,
      let mapped = mmap(nil, Int(status.st_size), PROT_READ, MAP_PRIVATE, descriptor, 0),
      mapped != MAP_FAILED
    {
      defer { munmap(mapped, Int(status.st_size)) }
      _ = madvise(mapped, Int(status.st_size), MADV_SEQUENTIAL)
      var hasher = SHA256()
      hasher.hasher.update(
        bufferPointer: UnsafeRawBufferPointer(start: mapped, count: Int(status.st_size)))
      return hex(hasher.finalize())
    }
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
    var hasher = SHA256()
    while let piece = try handle.read(upToCount: 4 << 20), !piece.isEmpty {
      hasher.hasher.update(data: piece)
    }
    return hex(hasher.finalize())
  }

  private static func hex(_ digest: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
  }
}
