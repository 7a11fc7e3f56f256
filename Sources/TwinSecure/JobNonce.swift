/// The job nonce of a bundle (`job_nonce` in `manifest.json`): 32 bytes from the
/// system's cryptographic generator, written as 64 lowercase hexadecimal
/// digits. It is the one form: `pack` makes it, and `verify`, the prolog, the
/// replay list, `release` (which names a key-service path after it) and
/// `fetch`/`open` refuse every other text (docs/security.md, "Job nonce,
/// replay list, expiry"), so a signer cannot smuggle a newline, a path or a
/// second record into anything that stores or names it.
public enum JobNonce {
  /// Random bytes in a nonce.
  public static let byteCount = 32
  /// Characters in its text.
  public static let length = 2 * byteCount

  /// A new nonce (the generator of swift-crypto's `SymmetricKey`, i.e. the
  /// operating system's: getrandom on Linux).
  public static func generate() -> String {
    JobBundle.hex(Age.randomBytes(byteCount))
  }

  /// True for exactly 64 characters `0-9a-f`. Checked on the UTF-8 bytes, so
  /// no Unicode digit, letter or combining mark passes as one of them.
  public static func isValid(_ text: String) -> Bool {
    var count = 0
    for byte in text.utf8 {
      guard (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) else { return false }
      count += 1
    }
    return count == length
  }

  /// Throws `BundleError.manifest` naming `field` unless `text` is a nonce.
  /// The message quotes at most 80 characters of `text`, escaped, so a hostile
  /// value cannot break a log line.
  public static func check(_ text: String, field: String = "job_nonce") throws(BundleError) {
    guard isValid(text) else {
      throw .manifest(
        "\(field) \(JobBundle.quoted(text)) is not \(length) lowercase hexadecimal digits"
          + " (the form twin-sim secure pack writes)")
    }
  }
}
