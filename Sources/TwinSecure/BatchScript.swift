/// The batch script of a secure job bundle. It is part of what the user signs:
/// the prolog compares the script Slurm spooled with the signed hash.
public enum BatchScript {
  /// Quotes `text` for a POSIX shell.
  static func shellQuote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// The script of a secure job: decrypts the inputs with the per-job identity
  /// into a private (0700) folder on node-local storage, runs twin-sim, encrypts
  /// `results.h5` to the user's recipient into `results/` of the bundle, and
  /// removes the plaintext folder on exit.
  ///
  /// The per-job identity must be on the node at `$TWIN_SIM_JOB_IDENTITY`
  /// before the job runs. Delivering it from a key service is not part of
  /// twin-sim yet (docs/security.md, "What is not implemented").
  public static func secureJob(
    partition: String, jobNonce: String, scenarioName: String, inputNames: [String],
    encryptedSHA256: [String: String], userRecipient: String
  ) -> String {
    var lines = [
      "#!/bin/bash",
      "#SBATCH --partition=\(partition)",
      "#SBATCH --job-name=twin-sim-secure",
      "#SBATCH --comment=twin-sim-job-nonce:\(jobNonce)",
      "#SBATCH --output=results/slurm-%j.out",
      "# twin-sim secure job, nonce \(jobNonce).",
      "# This script is signed through manifest.json: any edit makes verification fail.",
      "# Submit from the bundle folder: cd BUNDLE && sbatch job.sbatch",
      "set -euo pipefail",
      "umask 077",
      "bundle=\"${SLURM_SUBMIT_DIR:?submit with sbatch from the bundle folder}\"",
      "identity=\"${TWIN_SIM_JOB_IDENTITY:?set to the per-job age identity file on this node}\"",
      "work=\"$(mktemp -d \"${TWIN_SIM_NODE_TMP:-/tmp}/twin-sim-job.XXXXXX\")\"",
      "chmod 0700 \"$work\"",
      "trap 'rm -rf \"$work\"' EXIT",
    ]
    // Each input is copied to node-local storage and its hash checked there
    // before decryption: the prolog checked the shared copy, which root on the
    // shared file system could replace afterwards with another file encrypted
    // to the (public) job recipient. The hashes are part of this signed script.
    for name in [scenarioName] + inputNames {
      let quoted = shellQuote(name)
      let sealedName = shellQuote(name + ".age")
      lines += [
        "mkdir -p \"$(dirname \"$work\"/\(quoted))\"",
        "cp \"$bundle/inputs\"/\(sealedName) \"$work\"/\(sealedName)",
        "printf '%s  %s\\n' \(shellQuote(encryptedSHA256[name] ?? "missing"))"
          + " \"$work\"/\(sealedName) | sha256sum --check --status",
        "twin-sim secure decrypt -i \"$identity\" -o \"$work\"/\(quoted) \"$work\"/\(sealedName)",
        "rm \"$work\"/\(sealedName)",
      ]
    }
    lines += [
      "srun twin-sim run \"$work\"/\(shellQuote(scenarioName)) --output \"$work/run\" --quiet",
      "twin-sim secure encrypt -r \(shellQuote(userRecipient))"
        + " -o \"$bundle/results/results.h5.age\" \"$work/run/results.h5\"",
    ]
    return lines.joined(separator: "\n") + "\n"
  }
}
