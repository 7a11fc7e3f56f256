/// The batch script of a secure job bundle. It is part of what the user signs:
/// the prolog compares the script Slurm spooled with the signed hash.
public enum BatchScript {
  /// Quotes `text` for a POSIX shell.
  static func shellQuote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// The key-service path that holds a job's per-job identity (field
  /// `identity`), named by the job nonce: `secret/twin-sim/jobs/NONCE`.
  public static func keyServicePath(jobNonce: String) -> String {
    "secret/twin-sim/jobs/\(jobNonce)"
  }

  /// The script of a secure job (docs/security.md, "Node side"). It runs in the
  /// node-local folder `NODE_TMP/twin-sim-job-JOBID` that the prolog prepared
  /// (mode 0700, owned by the job's user) and in these steps:
  ///
  /// 1. reads the site settings the prolog put there (`site.env`: twin-sim,
  ///    launcher, key-service address); nothing security-relevant comes from
  ///    the submitter's environment, which root on the login node controls;
  /// 2. key delivery (`deliver_job_identity`, one function): the per-job age
  ///    identity, from the key service when a wrapping token is given
  ///    (`TWIN_SIM_WRAP_TOKEN`: `twin-sim kms unwrap`, then `twin-sim kms kv
  ///    get`), otherwise from the file `TWIN_SIM_JOB_IDENTITY` delivered to the
  ///    node, which is consumed (copied, then overwritten and removed);
  /// 3. copies each encrypted input to the node, checks its signed SHA-256 and
  ///    decrypts it; wipes the key as soon as the inputs are open;
  /// 4. runs `mpirun twin-sim run --encrypted-output --published-as FILE`
  ///    (launcher from `site.env`): a scenario's data management plan is
  ///    checked on the node as a secure run whose result is the ciphertext
  ///    published at `publishedResult` (relative to the bundle's input tree, as
  ///    the bundle sat when packed), and no crate with plaintext checksums is
  ///    written;
  /// 5. encrypts `results.h5` and the job's log to the user's recipient only,
  ///    into `out/`, and wipes every plaintext (overwrite, then unlink).
  ///
  /// The Epilog then hashes `out/`, signs the output manifest with the node
  /// key (which the job cannot read), publishes to `results/` of the bundle
  /// and wipes the folder, also when the job died.
  public static func secureJob(
    partition: String, jobNonce: String, scenarioName: String, inputNames: [String],
    encryptedSHA256: [String: String], userRecipient: String, nodeTmp: String,
    publishedResult: String = "../results/results.h5.age"
  ) -> String {
    let head = [
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
      "job_dir=\(shellQuote(nodeTmp))/\"twin-sim-job-${SLURM_JOB_ID:?run under Slurm}\"",
      "user_recipient=\(shellQuote(userRecipient))",
      "key_path=\(shellQuote(keyServicePath(jobNonce: jobNonce)))",
      "",
      "# 1. The node-local job folder and the site settings, both made by the prolog.",
      "if [ -L \"$job_dir\" ] || [ ! -d \"$job_dir\" ] || [ ! -O \"$job_dir\" ]; then",
      "  echo \"twin-sim job: $job_dir is missing or not this user's:\" \\",
      "    \"the secure prolog did not prepare this job (or its node folder differs)\" >&2",
      "  exit 1",
      "fi",
      "# Settings come from the site, never from the submitter; a key-service token",
      "# the submitter exported (sbatch passes its environment on) is not used either.",
      "unset TWIN_SIM_BIN TWIN_SIM_LAUNCH TWIN_SIM_KEY_DELIVERY",
      "unset VAULT_ADDR VAULT_CACERT VAULT_TOKEN",
      "# Where this site is, for the data management plan: from site.env or",
      "# /etc/twin-sim/site.json only, never from the submitter's environment.",
      "unset TWIN_SIM_SITE_LOCATION TWIN_SIM_SITE_CONFIG",
      ". \"$job_dir/site.env\"",
      ": \"${TWIN_SIM_BIN:?site.env names no TWIN_SIM_BIN}\"",
      "",
      "wipe() {",
      "  # Overwrite with zeros, then unlink (coreutils shred), every file below each path.",
      "  local path",
      "  for path in \"$@\"; do",
      "    [ -e \"$path\" ] || [ -L \"$path\" ] || continue",
      "    find \"$path\" -type f -exec shred --iterations=0 --zero --remove -- {} +",
      "    rm -rf -- \"$path\"",
      "  done",
      "}",
      "child=\"\"",
      "finish() {",
      "  local status=$?",
      "  trap - TERM INT",
      "  # A run still going (the job was cancelled) must end before the wipe,",
      "  # or it would write plaintext afterwards.",
      "  if [ -n \"$child\" ]; then",
      "    kill -TERM \"$child\" 2>/dev/null || true",
      "    wait \"$child\" 2>/dev/null || true",
      "  fi",
      "  exec 1>&3 2>&4",
      "  \"$TWIN_SIM_BIN\" secure encrypt -r \"$user_recipient\" \\",
      "    -o \"$job_dir/out/job.log.age\" \"$job_dir/job.log\" || status=1",
      "  wipe \"$job_dir/key\" \"$job_dir/in\" \"$job_dir/run\" \"$job_dir/job.log\"",
      "  # For the epilog's output manifest: the script's own exit status.",
      "  echo \"$status\" >\"$job_dir/status\"",
      "  exit \"$status\"",
      "}",
      "mkdir -m 0700 \"$job_dir/key\" \"$job_dir/in\" \"$job_dir/out\"",
      "# twin-sim's messages may quote input data: the log stays on the node and",
      "# leaves it encrypted (out/job.log.age); Slurm's output file gets nothing of it.",
      "exec 3>&1 4>&2 >\"$job_dir/job.log\" 2>&1",
      "trap finish EXIT",
      "",
      "# 2. Key delivery (SecureHPC step 7): the per-job age identity to $1.",
      "deliver_job_identity() {",
      "  local target=\"$1\" mode=\"${TWIN_SIM_KEY_DELIVERY:-auto}\"",
      "  if [ \"$mode\" = auto ]; then",
      "    mode=identity-file",
      "    [ -z \"${TWIN_SIM_WRAP_TOKEN:-}\" ] || mode=kms",
      "  fi",
      "  case \"$mode\" in",
      "    kms)",
      "      # Unwrap the single-use wrapping token once (a token someone else",
      "      # unwrapped first fails here), then read the identity with the",
      "      # short-lived token it held. VAULT_ADDR/VAULT_CACERT come from site.env.",
      "      : \"${VAULT_ADDR:?key delivery kms needs VAULT_ADDR in site.env}\"",
      "      export VAULT_ADDR",
      "      if [ -n \"${VAULT_CACERT:-}\" ]; then export VAULT_CACERT; fi",
      "      local wrapping=\"${TWIN_SIM_WRAP_TOKEN:?key delivery kms needs TWIN_SIM_WRAP_TOKEN}\"",
      "      unset TWIN_SIM_WRAP_TOKEN",
      "      local token",
      "      token=\"$(\"$TWIN_SIM_BIN\" kms unwrap -field token \"$wrapping\")\"",
      "      VAULT_TOKEN=\"$token\" \"$TWIN_SIM_BIN\" kms kv get -field identity \"$key_path\" \\",
      "        >\"$target\"",
      "      ;;",
      "    identity-file)",
      "      local delivered=\"${TWIN_SIM_JOB_IDENTITY:?set to the per-job identity file on this node}\"",
      "      cp -- \"$delivered\" \"$target\"",
      "      # Single use, like a wrapping token: the delivered copy is consumed.",
      "      shred --iterations=0 --zero --remove -- \"$delivered\" ||",
      "        echo \"twin-sim job: could not wipe the delivered identity $delivered\" >&2",
      "      ;;",
      "    *)",
      "      echo \"twin-sim job: unknown TWIN_SIM_KEY_DELIVERY '$mode' in site.env\" >&2",
      "      return 1",
      "      ;;",
      "  esac",
      "}",
      "deliver_job_identity \"$job_dir/key/job-identity.txt\"",
      "",
      "# 3. Inputs: each is copied to node-local storage and its hash checked there",
      "# before decryption: the prolog checked the shared copy, which root on the",
      "# shared file system could replace afterwards with another file encrypted",
      "# to the (public) job recipient. The hashes are part of this signed script.",
    ]
    var lines = head
    for name in [scenarioName] + inputNames {
      let quoted = shellQuote(name)
      let sealedName = shellQuote(name + ".age")
      lines += [
        "mkdir -p \"$(dirname \"$job_dir/in\"/\(quoted))\"",
        "cp \"$bundle/inputs\"/\(sealedName) \"$job_dir/in\"/\(sealedName)",
        "if ! printf '%s  %s\\n' \(shellQuote(encryptedSHA256[name] ?? "missing"))"
          + " \"$job_dir/in\"/\(sealedName) | sha256sum --check --status; then",
        "  echo \"twin-sim job: inputs/\"\(sealedName)\" differs from the signed hash\" >&2",
        "  exit 1",
        "fi",
        "\"$TWIN_SIM_BIN\" secure decrypt -i \"$job_dir/key/job-identity.txt\""
          + " -o \"$job_dir/in\"/\(quoted) \"$job_dir/in\"/\(sealedName)",
        "rm \"$job_dir/in\"/\(sealedName)",
      ]
    }
    lines += [
      "wipe \"$job_dir/key\"",
      "",
      "# 4. Run. TWIN_SIM_LAUNCH (site.env) may hold arguments, hence unquoted.",
      "# In the background, so a cancel (SIGTERM to this shell) reaches the run and",
      "# the wipe waits for it: a launcher whose parent is gone can escape Slurm's",
      "# process tracking (proctrack/linuxproc) and write plaintext later.",
      "# shellcheck disable=SC2086",
      "${TWIN_SIM_LAUNCH:-mpirun} -n \"${SLURM_NTASKS:-1}\" \"$TWIN_SIM_BIN\" run \\",
      "  \"$job_dir/in\"/\(shellQuote(scenarioName)) --output \"$job_dir/run\" --quiet \\",
      "  --encrypted-output --published-as \"$job_dir/in\"/\(shellQuote(publishedResult)) &",
      "child=$!",
      "trap 'kill -TERM \"$child\" 2>/dev/null || true' TERM INT",
      "run_status=0",
      "while true; do",
      "  wait \"$child\" || run_status=$?",
      "  kill -0 \"$child\" 2>/dev/null || break",
      "done",
      "child=\"\"",
      "trap - TERM INT",
      "if [ \"$run_status\" -ne 0 ]; then exit \"$run_status\"; fi",
      "",
      "# 5. Outputs, for the user's recipient only; the epilog signs and publishes them.",
      "\"$TWIN_SIM_BIN\" secure encrypt -r \"$user_recipient\" \\",
      "  -o \"$job_dir/out/results.h5.age\" \"$job_dir/run/results.h5\"",
    ]
    return lines.joined(separator: "\n") + "\n"
  }
}
