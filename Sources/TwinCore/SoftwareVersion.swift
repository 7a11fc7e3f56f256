/// The software version of twin-sim, stored in every result file and checked
/// against checkpoints. Part of the determinism contract: a result is a pure
/// function of (scenario, seed, software version).
public enum SoftwareVersion {
  public static let string = "0.1.0"
}
