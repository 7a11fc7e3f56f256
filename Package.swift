// swift-tools-version:6.0
// twin-sim: MPI-distributed simulator of populations of virtual humans.
// Layers (see docs/architecture.md): C shims -> Swift faces of C libraries ->
// random numbers, models -> engine -> run driver -> CLI.
import PackageDescription

#if os(Linux)
  import Glibc

  /// glibc 2.36 (Debian 12) and later read packed relative relocations (DT_RELR).
  let glibcReadsPackedRelocations: Bool = {
    var text = [CChar](repeating: 0, count: 64)  // "glibc 2.36"
    guard confstr(Int32(_CS_GNU_LIBC_VERSION), &text, text.count) > 0 else { return false }
    let version =
      String(cString: text).split(separator: " ").last?.split(separator: ".")
      .compactMap { Int($0) } ?? []
    return version.count >= 2 && (version[0], version[1]) >= (2, 36)
  }()
#else
  let glibcReadsPackedRelocations = false
#endif

/// How the twin-sim executable is linked on Linux: the Swift runtime and Foundation
/// statically (only the parts used are linked and no shared-library relocations are
/// processed: resident memory 43 -> 35 MB for the Vivarium comparison's 100,000-person run,
/// docs/benchmarks.md), by lld with packed relative relocations where glibc reads them (a
/// position-independent executable whose 120,000 relocations take 50 KB instead of 3 MB),
/// exporting no symbols. Foundation's own static libraries are named here because the
/// objects were compiled against the shared Foundation modules (the tests, which share the
/// build, need those). Compute nodes then need no Swift libraries (docs/operations.md).
let staticRuntime: [LinkerSetting] =
  [
    .unsafeFlags(
      ["-static-stdlib", "-use-ld=lld", "-Xlinker", "--no-export-dynamic"]
        + (glibcReadsPackedRelocations
          ? ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"] : []),
      .when(platforms: [.linux]))
  ]
  + [
    "FoundationEssentials", "FoundationInternationalization", "_FoundationCollections",
    "CoreFoundation", "_FoundationICU", "_FoundationCShims",
  ].map { .linkedLibrary($0, .when(platforms: [.linux])) }

let package = Package(
  name: "twin-sim",
  // Linux is the target (Debian 12, HPC clusters); on macOS, Synchronization.Mutex
  // (PhysiologyPreconditionerTable) needs macOS 15.
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "twin-sim", targets: ["twin-sim"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
    .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
  ],
  targets: [
    // C shims: module maps plus static inline wrappers for macros Swift cannot import
    // (CTwinSecure, further down, is a compiled one: it needs _GNU_SOURCE).
    .systemLibrary(
      name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
    // Headers only: HDF5Kit links HDF5 itself (below).
    .systemLibrary(name: "CHDF5", providers: [.apt(["libhdf5-openmpi-dev"])]),

    // Swift faces of the C libraries: the only code that touches C handles.
    .target(name: "MPIKit", dependencies: ["CMPI"], exclude: ["README.md"]),
    // Parallel HDF5 linked statically (Debian's libhdf5_openmpi.a, from the same
    // libhdf5-openmpi-dev): the shared library depends on libcurl for its S3 driver,
    // which loads curl, OpenSSL, GnuTLS, Kerberos and LDAP, about 25 libraries and 5 MB of
    // resident memory, into every rank. twin-sim never uses that driver; with the static
    // library its object files are not linked, nor is curl.
    .target(
      name: "HDF5Kit", dependencies: ["CHDF5", "MPIKit"], exclude: ["README.md"],
      linkerSettings: [
        .linkedLibrary(":libhdf5_openmpi_hl.a"), .linkedLibrary(":libhdf5_openmpi.a"),
        .linkedLibrary("sz"), .linkedLibrary("z"), .linkedLibrary("dl"), .linkedLibrary("m"),
      ]),
    // OpenBLAS is opened with dlopen at the first BLAS call (BLASKit/BLAS.swift).
    .target(name: "BLASKit"),

    // Engine and models: pure Swift, no MPI, no HDF5.
    .target(name: "TwinRandom", exclude: ["README.md"]),
    // ISO 8601 UTC timestamps without ICU (run.log, result metadata, crates).
    .target(name: "TwinTime"),
    .target(name: "TwinModels", dependencies: ["BLASKit"], exclude: ["README.md"]),
    .target(
      name: "TwinCore",
      dependencies: [
        "TwinRandom", "TwinModels", "TwinPhysiology", .product(name: "Yams", package: "Yams"),
      ],
      exclude: ["README.md"]),

    // Cardiovascular physiology: closed-loop ODE model, integrators, batching (pure Swift).
    .target(name: "TwinPhysiology", exclude: ["README.md"]),

    // Run driver: joins the engine to MPI and HDF5.
    .target(
      name: "TwinRun",
      dependencies: [
        "TwinCore", "TwinTime", "MPIKit", "HDF5Kit",
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      exclude: ["README.md"]),

    // Analysts' view: summaries, reports and exports of result files.
    // Crypto: the datasets' SHA-256 digests are checked on reading (docs/hdf5-layout.md).
    .target(
      name: "TwinAnalysis",
      dependencies: ["HDF5Kit", .product(name: "Crypto", package: "swift-crypto")],
      exclude: ["README.md"]),

    // Data management layer: maDMP checks, RO-Crate provenance (no engine import).
    .target(
      name: "TwinDMP",
      dependencies: ["HDF5Kit", "TwinTime", .product(name: "Crypto", package: "swift-crypto")],
      exclude: ["README.md"]),
    // Catalog of data products (SQLite through GRDB; links the system libsqlite3).
    .target(
      name: "TwinCatalog",
      dependencies: ["TwinDMP", .product(name: "GRDB", package: "GRDB.swift")],
      exclude: ["README.md"]),

    // Secure layer: age encryption, signed job bundles (no engine import). The
    // prolog's replay list is an SQLite database (GRDB); CTwinSecure hands it
    // glibc's O_TMPFILE and AT_EMPTY_PATH (unnamed output files).
    .target(name: "CTwinSecure"),
    .target(
      name: "TwinSecure",
      dependencies: [
        "CTwinSecure", "TwinTime", .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "GRDB", package: "GRDB.swift"),
      ],
      exclude: ["README.md"]),

    // Key service: Vault-compatible subset (KV v2, tokens, roles, wrapping) over TLS,
    // server and client on SwiftNIO (no engine import; kept out of TwinSecure so
    // that stays light).
    .target(
      name: "TwinKeyService",
      dependencies: [
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
      ],
      exclude: ["README.md"]),

    // Command-line face: parses arguments and composes the layers.
    .executableTarget(
      name: "twin-sim",
      dependencies: [
        "TwinRun", "TwinCore", "TwinModels", "TwinPhysiology", "TwinAnalysis", "TwinDMP",
        "TwinCatalog", "MPIKit", "TwinSecure", "TwinKeyService", "TwinTime",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      linkerSettings: staticRuntime),

    // Timing harness for scripts/bench/ (subcommand-style first argument per benchmark).
    .executableTarget(name: "twin-sim-bench", dependencies: ["TwinModels", "TwinPhysiology"]),

    .testTarget(name: "MPIKitTests", dependencies: ["MPIKit"]),
    .testTarget(name: "HDF5KitTests", dependencies: ["HDF5Kit"]),
    .testTarget(name: "BLASKitTests", dependencies: ["BLASKit"]),
    .testTarget(name: "TwinRandomTests", dependencies: ["TwinRandom"]),
    .testTarget(name: "TwinModelsTests", dependencies: ["TwinModels"]),
    .testTarget(name: "TwinTimeTests", dependencies: ["TwinTime"]),
    .testTarget(name: "TwinCoreTests", dependencies: ["TwinCore", "TwinPhysiology"]),
    .testTarget(name: "TwinPhysiologyTests", dependencies: ["TwinPhysiology"]),
    .testTarget(name: "TwinAnalysisTests", dependencies: ["TwinAnalysis"]),
    .testTarget(name: "TwinSecureTests", dependencies: ["TwinSecure"]),
    .testTarget(name: "TwinKeyServiceTests", dependencies: ["TwinKeyService"]),
    .testTarget(name: "TwinDMPTests", dependencies: ["TwinDMP"]),
    .testTarget(name: "TwinCatalogTests", dependencies: ["TwinCatalog", "TwinDMP", "HDF5Kit"]),
  ],
  swiftLanguageModes: [.v6]
)
