/// ASCII armor of age files (age spec, "ASCII armor"): strict PEM-like
/// framing, standard padded Base64 in lines of exactly 64 columns except the
/// last, LF or CRLF line ends, no headers, only whitespace around the block.
enum AgeArmor {
  static let beginLine = Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)
  static let endLine = Array("-----END AGE ENCRYPTED FILE-----".utf8)
  static let columnsPerLine = 64
  static let bytesPerLine = 48
  /// Whitespace tolerated before and after the armored block, as the
  /// reference implementation (filippo.io/age/armor) tolerates it.
  static let maxWhitespaceBytes = 1024

  static func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
  }
}

/// Writes armored output: Base64 lines of 64 columns framed by BEGIN/END lines.
/// Call `finish()` after the last write.
final class ArmorEncodingSink: ByteSink {
  let sink: ByteSink
  var pending: [UInt8] = []

  init(_ sink: ByteSink) throws {
    self.sink = sink
    try sink.write(AgeArmor.beginLine + [UInt8(ascii: "\n")])
  }

  func write(_ bytes: [UInt8]) throws {
    pending += bytes
    let wholeLines = pending.count / AgeArmor.bytesPerLine
    guard wholeLines > 0 else { return }
    var output: [UInt8] = []
    output.reserveCapacity(wholeLines * (AgeArmor.columnsPerLine + 1))
    for line in 0..<wholeLines {
      let start = line * AgeArmor.bytesPerLine
      output += Base64Strict.encode(
        Array(pending[start..<start + AgeArmor.bytesPerLine]), padded: true)
      output.append(UInt8(ascii: "\n"))
    }
    pending.removeFirst(wholeLines * AgeArmor.bytesPerLine)
    try sink.write(output)
  }

  func finish() throws {
    var output: [UInt8] = []
    if !pending.isEmpty {
      output += Base64Strict.encode(pending, padded: true) + [UInt8(ascii: "\n")]
    }
    output += AgeArmor.endLine + [UInt8(ascii: "\n")]
    pending = []
    try sink.write(output)
  }
}

/// Reads armored input and yields the decoded bytes, one line at a time.
/// Every violation of the strict rules throws `AgeError.armor`.
final class ArmorDecodingSource: ByteSource {
  let reader: BufferedByteReader
  var started = false
  var finished = false
  static let maxLineBytes = 4096

  init(_ reader: BufferedByteReader) { self.reader = reader }

  /// The next line without its `\n` or `\r\n`; armor failure at the end of input.
  func nextLine() throws -> [UInt8] {
    guard let line = try reader.readLine(maxLength: Self.maxLineBytes) else {
      throw AgeError.armor("a line is longer than \(AgeArmor.columnsPerLine) columns")
    }
    if line.isEmpty { throw AgeError.armor("the file ends before the END line") }
    var content = line[...]
    if content.last == UInt8(ascii: "\n") { content = content.dropLast() }
    if content.last == UInt8(ascii: "\r") { content = content.dropLast() }
    return Array(content)
  }

  func checkTrailingWhitespace() throws {
    let rest = try reader.read(upTo: AgeArmor.maxWhitespaceBytes)
    if !rest.allSatisfy(AgeArmor.isWhitespace) {
      throw AgeError.armor("data follows the END line")
    }
    if rest.count == AgeArmor.maxWhitespaceBytes {
      throw AgeError.armor("too much whitespace after the END line")
    }
    finished = true
  }

  func readSome(upTo maxCount: Int) throws -> [UInt8] {
    if finished { return [] }
    var skippedWhitespace = 0
    while !started {
      let line = try nextLine()
      if line.allSatisfy(AgeArmor.isWhitespace) {
        skippedWhitespace += line.count + 1
        if skippedWhitespace > AgeArmor.maxWhitespaceBytes {
          throw AgeError.armor("too much whitespace before the BEGIN line")
        }
        continue
      }
      guard line == AgeArmor.beginLine else {
        throw AgeError.armor("the first line is not '-----BEGIN AGE ENCRYPTED FILE-----'")
      }
      started = true
    }
    let line = try nextLine()
    if line == AgeArmor.endLine {
      try checkTrailingWhitespace()
      return []
    }
    if line.isEmpty { throw AgeError.armor("empty line inside the armor") }
    if line.count > AgeArmor.columnsPerLine {
      throw AgeError.armor("a line is longer than \(AgeArmor.columnsPerLine) columns")
    }
    guard let decoded = Base64Strict.decode(line, padded: true) else {
      throw AgeError.armor("a line is not canonical padded Base64")
    }
    if decoded.count < AgeArmor.bytesPerLine {
      // Only the last line may be short; the END line must follow it.
      guard try nextLine() == AgeArmor.endLine else {
        throw AgeError.armor("a short line is not followed by the END line")
      }
      try checkTrailingWhitespace()
    }
    return decoded
  }
}
