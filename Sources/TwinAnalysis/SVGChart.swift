import Foundation

/// A shaded band between two curves.
struct ChartBand {
  var lower: [Double]
  var upper: [Double]
  /// Fill opacity, 0 ... 1.
  var opacity = 0.16
}

/// One line of a chart, optionally with shaded bands around it.
struct ChartSeries {
  var x: [Double]
  var y: [Double]
  var color: String
  var dashed = false
  var width = 2.0
  /// Bands at each x, drawn under every line.
  var bands: [ChartBand] = []
}

/// One row of a chart's legend.
struct LegendEntry {
  enum Mark {
    case line, dashedLine, thinLine
    case band(opacity: Double)
  }
  var label: String
  var color: String
  var mark: Mark
}

/// Where a chart's legend goes.
enum LegendPlacement {
  /// A column right of the plot.
  case right
  /// Rows of `columns` entries below the axis label.
  case below(columns: Int)
}

/// A line chart as inline SVG (no script, no external resource): title, axes
/// with ticks, axis labels with units, a legend. Non-finite y values break the
/// line.
struct LineChart {
  var title: String
  var xLabel: String
  var yLabel: String
  var series: [ChartSeries]
  var legend: [LegendEntry]
  /// Fixed y range (e.g. 0 ... 1 for a fraction); else the data's range.
  var yRange: ClosedRange<Double>?
  /// Width of the plot area and everything around it, in CSS pixels.
  var width = 720.0
  /// Height of the plot area, in CSS pixels.
  var plotHeight = 268.0
  var legendPlacement = LegendPlacement.right

  private let left = 74.0
  private let top = 40.0
  /// Below the plot: tick labels and the x-axis label.
  private let axisBand = 52.0
  private let legendRow = 20.0

  private var right: Double {
    if case .right = legendPlacement { return 190 }
    return 20
  }

  private var legendRows: Int {
    if case .below(let columns) = legendPlacement {
      return (legend.count + columns - 1) / Swift.max(1, columns)
    }
    return 0
  }

  /// Total height in CSS pixels.
  var height: Double { top + plotHeight + axisBand + Double(legendRows) * legendRow + 4 }

  /// Okabe and Ito's colour-blind-safe palette (Color Universal Design, 2008),
  /// without yellow (too light on white).
  static let palette = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
  ]

  static func color(_ index: Int) -> String { palette[index % palette.count] }

  func svg() -> String {
    let plotWidth = width - left - right
    let xs = series.flatMap(\.x).filter(\.isFinite)
    var ys = series.flatMap(\.y).filter(\.isFinite)
    for band in series.flatMap(\.bands) {
      ys += band.lower.filter(\.isFinite) + band.upper.filter(\.isFinite)
    }
    let xTicks = Self.niceTicks(xs.min() ?? 0, xs.max() ?? 1)
    let yTicks =
      yRange.map { Self.niceTicks($0.lowerBound, $0.upperBound) }
      ?? Self.niceTicks(ys.min() ?? 0, ys.max() ?? 1)
    let xLow = xTicks.first!
    let xHigh = xTicks.last!
    let yLow = yTicks.first!
    let yHigh = yTicks.last!
    func px(_ x: Double) -> Double {
      left + (x - xLow) / Swift.max(xHigh - xLow, .leastNonzeroMagnitude) * plotWidth
    }
    func py(_ y: Double) -> Double {
      top + plotHeight - (y - yLow) / Swift.max(yHigh - yLow, .leastNonzeroMagnitude) * plotHeight
    }
    let escapedTitle = Formatting.htmlEscaped(title)
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(n(width)) \(n(height))" \
      width="\(n(width))" height="\(n(height))" role="img" aria-label="\(escapedTitle)">
      <title>\(escapedTitle)</title>
      <text class="chart-title" x="\(n(left))" y="22">\(escapedTitle)</text>

      """
    // Grid and ticks.
    let xDecimals = Self.decimals(forStep: xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1)
    let yDecimals = Self.decimals(forStep: yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1)
    for tick in yTicks {
      let y = py(tick)
      svg += "<line class=\"gridline\" x1=\"\(n(left))\" y1=\"\(n(y))\" "
      svg += "x2=\"\(n(left + plotWidth))\" y2=\"\(n(y))\"/>\n"
      svg += "<text class=\"tick\" x=\"\(n(left - 6))\" y=\"\(n(y + 4))\" text-anchor=\"end\">"
      svg += "\(Formatting.fixed(tick, yDecimals))</text>\n"
    }
    for tick in xTicks {
      let x = px(tick)
      svg += "<line class=\"gridline\" x1=\"\(n(x))\" y1=\"\(n(top))\" "
      svg += "x2=\"\(n(x))\" y2=\"\(n(top + plotHeight))\"/>\n"
      svg += "<text class=\"tick\" x=\"\(n(x))\" y=\"\(n(top + plotHeight + 16))\" "
      svg += "text-anchor=\"middle\">\(Formatting.fixed(tick, xDecimals))</text>\n"
    }
    svg += "<rect class=\"frame\" x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(plotWidth))\" "
    svg += "height=\"\(n(plotHeight))\"/>\n"
    // Bands first, lines over them.
    for line in series {
      for band in line.bands {
        for segment in Self.segments(line.x, band.lower, band.upper) {
          let upper = segment.map { "\(n(px(line.x[$0]))),\(n(py(band.upper[$0])))" }
          let lower = segment.reversed().map {
            "\(n(px(line.x[$0]))),\(n(py(band.lower[$0])))"
          }
          svg += "<polygon fill=\"\(line.color)\" fill-opacity=\"\(n(band.opacity))\" "
          svg += "stroke=\"none\" points=\"\((upper + lower).joined(separator: " "))\"/>\n"
        }
      }
    }
    for line in series {
      for segment in Self.segments(line.x, line.y, line.y) {
        let points = segment.map { "\(n(px(line.x[$0]))),\(n(py(line.y[$0])))" }
        svg += "<polyline class=\"\(line.dashed ? "line dashed" : "line")\" "
        svg += "stroke=\"\(line.color)\" stroke-width=\"\(n(line.width))\" "
        svg += "points=\"\(points.joined(separator: " "))\"/>\n"
      }
    }
    // Axis labels.
    svg += "<text class=\"axis-label\" x=\"\(n(left + plotWidth / 2))\" "
    svg +=
      "y=\"\(n(top + plotHeight + 42))\" text-anchor=\"middle\">\(Formatting.htmlEscaped(xLabel))</text>\n"
    let yMiddle = top + plotHeight / 2
    svg += "<text class=\"axis-label\" x=\"16\" y=\"\(n(yMiddle))\" text-anchor=\"middle\" "
    svg += "transform=\"rotate(-90 16 \(n(yMiddle)))\">\(Formatting.htmlEscaped(yLabel))</text>\n"
    // Legend.
    for (index, entry) in legend.enumerated() {
      let (x, y): (Double, Double)
      switch legendPlacement {
      case .right:
        (x, y) = (left + plotWidth + 16, top + 8 + Double(index) * legendRow)
      case .below(let columns):
        let columnWidth = plotWidth / Double(Swift.max(1, columns))
        (x, y) = (
          left + Double(index % columns) * columnWidth,
          top + plotHeight + axisBand + 8 + Double(index / columns) * legendRow
        )
      }
      switch entry.mark {
      case .band(let opacity):
        svg += "<rect fill=\"\(entry.color)\" fill-opacity=\"\(n(opacity))\" x=\"\(n(x))\" "
        svg += "y=\"\(n(y - 6))\" width=\"24\" height=\"12\"/>\n"
      case .line, .dashedLine, .thinLine:
        let dashed: Bool
        if case .dashedLine = entry.mark { dashed = true } else { dashed = false }
        let strokeWidth: Double
        if case .thinLine = entry.mark { strokeWidth = 1 } else { strokeWidth = 2 }
        svg += "<line class=\"\(dashed ? "line dashed" : "line")\" stroke=\"\(entry.color)\" "
        svg += "stroke-width=\"\(n(strokeWidth))\" x1=\"\(n(x))\" y1=\"\(n(y))\" "
        svg += "x2=\"\(n(x + 24))\" y2=\"\(n(y))\"/>\n"
      }
      svg += "<text class=\"legend\" x=\"\(n(x + 30))\" y=\"\(n(y + 4))\">"
      svg += "\(Formatting.htmlEscaped(entry.label))</text>\n"
    }
    svg += "</svg>"
    return svg
  }

  /// Index runs where x, a and b are all finite.
  private static func segments(_ x: [Double], _ a: [Double], _ b: [Double]) -> [[Int]] {
    var runs: [[Int]] = []
    var current: [Int] = []
    for index in x.indices {
      if x[index].isFinite, a[index].isFinite, b[index].isFinite {
        current.append(index)
      } else if !current.isEmpty {
        runs.append(current)
        current = []
      }
    }
    if !current.isEmpty { runs.append(current) }
    return runs
  }

  /// Round tick values (1, 2 or 5 x 10^k apart) covering low ... high, about
  /// five intervals.
  static func niceTicks(_ low: Double, _ high: Double) -> [Double] {
    var low = low
    var high = high
    if !(high > low) {
      let pad = low == 0 ? 1 : abs(low) * 0.1
      low -= pad
      high += pad
    }
    let rough = (high - low) / 5
    let magnitude = pow(10, (log10(rough)).rounded(.down))
    let step =
      [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough * 0.999 } ?? 10 * magnitude
    let first = (low / step).rounded(.down) * step
    let last = (high / step).rounded(.up) * step
    let count = Int(((last - first) / step).rounded())
    return (0...count).map { first + Double($0) * step }
  }

  /// Decimals that show ticks `step` apart.
  static func decimals(forStep step: Double) -> Int {
    guard step > 0, step.isFinite else { return 0 }
    return Swift.max(0, Int((-log10(step)).rounded(.up)))
  }

  /// Coordinates with two decimals.
  private func n(_ value: Double) -> String { String(format: "%.2f", value) }
}
