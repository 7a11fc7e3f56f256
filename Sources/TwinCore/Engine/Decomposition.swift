/// How persons are spread over ranks: contiguous blocks in person order, the
/// first `count % ranks` ranks holding one person more.
///
/// Persons are identified by their global index, so every result that depends
/// only on a person's index (all random draws, all per-person values) is the
/// same whatever the number of ranks.
public struct BlockDecomposition: Sendable, Equatable {
  /// Total persons.
  public let count: Int
  /// Number of ranks.
  public let ranks: Int

  public init(count: Int, ranks: Int) {
    precondition(count >= 0 && ranks >= 1, "need count >= 0 and ranks >= 1")
    self.count = count
    self.ranks = ranks
  }

  /// The global person indices held by `rank`.
  public func range(ofRank rank: Int) -> Range<Int> {
    let base = count / ranks
    let extra = count % ranks
    let first = rank * base + min(rank, extra)
    return first..<(first + base + (rank < extra ? 1 : 0))
  }
}
