import Foundation

/// age encryption and decryption between files (or standard input and output),
/// streaming in 64 KiB chunks. Output files get their name only after the last
/// chunk was written (and, for decryption, verified): until then they are
/// files without a name where the file system allows (`SafeOutputFile`), so
/// a failed or killed process leaves nothing, or else a temporary file that a
/// failure removes (a SIGKILL leaves it).
public enum AgeFile {
  /// Encrypts `inputPath` (standard input when nil) to `outputPath` (standard
  /// output when nil) for `recipients`.
  public static func encrypt(
    inputPath: String?, outputPath: String?, recipients: [AgeRecipient], armored: Bool
  ) throws {
    try transform(inputPath: inputPath, outputPath: outputPath) { source, sink in
      try Age.encrypt(from: source, to: sink, recipients: recipients, armored: armored)
    }
  }

  /// Decrypts `inputPath` (standard input when nil) to `outputPath`. With
  /// standard output (nil), chunks are released as each one verifies, so a
  /// damaged file can leave verified leading plaintext in the pipe before the
  /// error; with a file, nothing is left behind on failure.
  public static func decrypt(
    inputPath: String?, outputPath: String?, identities: [AgeIdentity]
  ) throws {
    try transform(inputPath: inputPath, outputPath: outputPath) { source, sink in
      try Age.decrypt(from: source, to: sink, identities: identities)
    }
  }

  /// Reads an identity file (age-keygen format).
  public static func readIdentities(path: String) throws -> [AgeIdentity] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw AgeError.io("cannot read identity file \(path)")
    }
    return try AgeIdentity.parseIdentityFile(String(decoding: data, as: UTF8.self))
  }

  /// Writes a new identity file with mode 0600; refuses to overwrite a file.
  /// Returns the identity's recipient.
  public static func writeNewIdentity(path: String, created: Date = Date()) throws -> AgeRecipient {
    let identity = AgeIdentity()
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
      throw AgeError.io("cannot create \(path): \(String(cString: strerror(errno)))")
    }
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    try handle.write(contentsOf: Array(identity.identityFileText(created: created).utf8))
    try handle.close()
    return identity.recipient
  }

  static func transform(
    inputPath: String?, outputPath: String?,
    _ body: (ByteSource, ByteSink) throws -> Void
  ) throws {
    let input: FileHandle
    if let inputPath {
      guard let handle = FileHandle(forReadingAtPath: inputPath) else {
        throw AgeError.io("cannot open \(inputPath) for reading")
      }
      input = handle
    } else {
      input = FileHandle.standardInput
    }
    guard let outputPath else {
      try body(FileByteSource(input), FileByteSink(FileHandle.standardOutput))
      return
    }
    let output = try SafeOutputFile(finalURL: URL(fileURLWithPath: outputPath))
    do {
      try body(FileByteSource(input), FileByteSink(output.handle))
      try output.commit()
    } catch {
      output.discard()
      throw error
    }
  }
}
