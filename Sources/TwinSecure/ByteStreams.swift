import Foundation

/// A source of bytes read in pieces: files, memory, or a decoder over another source.
/// `readSome(upTo:)` returns an empty array only at the end of the input.
public protocol ByteSource: AnyObject {
  func readSome(upTo maxCount: Int) throws -> [UInt8]
}

/// A destination of bytes written in pieces.
public protocol ByteSink: AnyObject {
  func write(_ bytes: [UInt8]) throws
}

/// Reads a file (or pipe) through a `FileHandle`.
public final class FileByteSource: ByteSource {
  let handle: FileHandle
  public init(_ handle: FileHandle) { self.handle = handle }
  public func readSome(upTo maxCount: Int) throws -> [UInt8] {
    guard let data = try handle.read(upToCount: maxCount) else { return [] }
    return [UInt8](data)
  }
}

/// Reads bytes held in memory.
public final class MemoryByteSource: ByteSource {
  let bytes: [UInt8]
  var position = 0
  public init(_ bytes: [UInt8]) { self.bytes = bytes }
  public func readSome(upTo maxCount: Int) throws -> [UInt8] {
    let end = min(bytes.count, position + maxCount)
    defer { position = end }
    return Array(bytes[position..<end])
  }
}

/// Writes to a `FileHandle`.
public final class FileByteSink: ByteSink {
  let handle: FileHandle
  public init(_ handle: FileHandle) { self.handle = handle }
  public func write(_ bytes: [UInt8]) throws { try handle.write(contentsOf: bytes) }
}

/// Collects written bytes in memory (for tests and small manifests).
public final class MemoryByteSink: ByteSink {
  public private(set) var bytes: [UInt8] = []
  public init() {}
  public func write(_ bytes: [UInt8]) throws { self.bytes += bytes }
}

/// A buffered reader over a `ByteSource` with line and exact-count reads.
/// Holds at most one requested piece plus one source read in memory.
final class BufferedByteReader {
  let source: ByteSource
  var buffer: [UInt8] = []
  var start = 0
  var atEnd = false
  static let readSize = 64 * 1024

  init(_ source: ByteSource) { self.source = source }

  /// Makes at least `count` bytes available unless the input ends first.
  func fill(_ count: Int) throws {
    while buffer.count - start < count && !atEnd {
      if start > 0 {
        buffer.removeFirst(start)
        start = 0
      }
      let piece = try source.readSome(upTo: max(Self.readSize, count - buffer.count))
      if piece.isEmpty { atEnd = true } else { buffer += piece }
    }
  }

  /// Reads up to `count` bytes; fewer only at the end of the input.
  func read(upTo count: Int) throws -> [UInt8] {
    try fill(count)
    let end = min(buffer.count, start + count)
    defer { start = end }
    return Array(buffer[start..<end])
  }

  /// Reads one line including its `\n`, or what is left at the end of the input.
  /// Returns nil when a line is longer than `maxLength` bytes.
  func readLine(maxLength: Int) throws -> [UInt8]? {
    var scanned = 0
    while true {
      let available = buffer.count - start
      if let newline = buffer[(start + scanned)..<buffer.count].firstIndex(of: UInt8(ascii: "\n")) {
        guard newline - start + 1 <= maxLength else { return nil }
        defer { start = newline + 1 }
        return Array(buffer[start...newline])
      }
      scanned = available
      if available >= maxLength { return nil }
      try fill(available + 1)
      if buffer.count - start == available {
        defer { start = buffer.count }
        return Array(buffer[start...])
      }
    }
  }

  /// True when no byte is left.
  func isAtEnd() throws -> Bool {
    try fill(1)
    return buffer.count == start
  }
}
