/// Suggestions for misspelt names ("did you mean ...?").
///
/// The distance is the optimal string alignment variant of the Damerau-Levenshtein
/// distance: insertions, deletions, substitutions and transpositions of two
/// adjacent characters each cost 1 (Damerau 1964, Commun ACM 7:171), compared
/// case-insensitively so that `Horizon_Years` finds `horizon_years`.
public enum NearestName {
  /// The edit distance between two strings (optimal string alignment), counted
  /// in Unicode characters, ignoring letter case.
  public static func editDistance(_ lhs: String, _ rhs: String) -> Int {
    let a = Array(lhs.lowercased())
    let b = Array(rhs.lowercased())
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    // Three rolling rows: the transposition step looks two rows back.
    var beforePrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let substitutionCost = a[i - 1] == b[j - 1] ? 0 : 1
        var best = min(
          previous[j] + 1, current[j - 1] + 1, previous[j - 1] + substitutionCost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          best = min(best, beforePrevious[j - 2] + 1)
        }
        current[j] = best
      }
      (beforePrevious, previous, current) = (previous, current, beforePrevious)
    }
    return previous[b.count]
  }

  /// The candidate closest to `name`, if it is close enough to be a plausible
  /// misspelling: at most 1 edit for names up to 8 characters, 2 up to 12, and
  /// 3 beyond. Ties go to the earlier candidate.
  public static func suggestion(for name: String, among candidates: [String]) -> String? {
    var best: (candidate: String, distance: Int)?
    for candidate in candidates where candidate != name {
      let distance = editDistance(name, candidate)
      let allowed = min(3, max(1, (max(name.count, candidate.count) - 1) / 4))
      // A suggestion must keep something of the name: 'c' is no misspelling of 'a'.
      guard distance <= allowed, distance < max(name.count, candidate.count) else { continue }
      if best == nil || distance < best!.distance {
        best = (candidate, distance)
      }
    }
    return best?.candidate
  }

  /// `"; did you mean 'x'?"` when a suggestion exists, otherwise
  /// `"; expected one of: a, b, c"` (or nothing when there are no candidates).
  static func hint(for name: String, among candidates: [String]) -> String {
    if let suggestion = suggestion(for: name, among: candidates) {
      return "; did you mean '\(suggestion)'?"
    }
    if candidates.isEmpty { return "" }
    return "; expected one of: " + candidates.joined(separator: ", ")
  }
}
