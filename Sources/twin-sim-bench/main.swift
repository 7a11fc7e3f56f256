// twin-sim-bench: timing harness for twin-sim's hot kernels. Run it through the scripts in
// scripts/bench/ (they build in release mode and fix the thread settings).
//
// Usage: twin-sim-bench MODE [options]
//   linear-predictor  plain Swift loop vs one BLAS dgemm for risk-equation linear predictors
//   physiology        population physiology speed (also physiology-calibration, -mapping-report)
import Foundation
import TwinModels

let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first else {
  FileHandle.standardError.write(Data("usage: twin-sim-bench linear-predictor [options]\n".utf8))
  exit(64)
}

switch mode {
case "linear-predictor":
  do {
    try LinearPredictorBenchmark(arguments: Array(arguments.dropFirst())).run()
  } catch {
    FileHandle.standardError.write(Data("twin-sim-bench: \(error)\n".utf8))
    exit(64)
  }
case _ where mode.hasPrefix("physiology"): runPhysiologyMode(mode, Array(arguments.dropFirst()))
default:
  FileHandle.standardError.write(Data("twin-sim-bench: unknown mode '\(mode)'\n".utf8))
  exit(64)
}
