/// The distribution mappings a U-number may be written as, described with the
/// same schema types as the rest of the scenario (so they are validated and
/// documented the same way).
enum UncertainSchema {
  struct Distribution: Sendable {
    var name: String
    var doc: String
    var schema: ObjectSchema
    /// The value from its validated parameters; nil if a parameter was invalid
    /// (already reported).
    var build: @Sendable (ValidatedObject) -> UncertainValue?
  }

  static let distributions: [Distribution] = [
    Distribution(
      name: "normal",
      doc: "normal distribution; point value = mean",
      schema: ObjectSchema(fields: [
        Field("mean", .number(.any), .required, doc: "mean"),
        Field("sd", .number(.atLeast(0)), .required, doc: "standard deviation"),
      ]),
      build: { object in
        guard let mean = object["mean"]?.number, let sd = object["sd"]?.number else {
          return nil
        }
        return .normal(mean: mean, sd: sd)
      }),
    Distribution(
      name: "lognormal",
      doc:
        "log-normal distribution from a point estimate and its 95 % confidence interval "
        + "(as papers report relative risks); ln X ~ Normal(ln mean, (ln HI - ln LO) / "
        + "(2 x 1.959964)); point value = mean (the median); requires 0 < LO <= mean <= HI",
      schema: ObjectSchema(fields: [
        Field("mean", .number(.greaterThan(0)), .required, doc: "point estimate (median)"),
        Field(
          "ci95", .numberPair(.greaterThan(0)), .required,
          doc: "95 % confidence interval `[LO, HI]`, LO < HI"),
      ]),
      build: { object in
        guard let mean = object["mean"]?.number, let ci95 = object["ci95"]?.pair else {
          return nil
        }
        return .lognormal(mean: mean, ci95Low: ci95.0, ci95High: ci95.1)
      }),
    Distribution(
      name: "uniform",
      doc: "uniform distribution on [min, max]; point value = midpoint",
      schema: ObjectSchema(
        fields: [
          Field("min", .number(.any), .required, doc: "lower end"),
          Field("max", .number(.any), .required, doc: "upper end, > min"),
        ],
        rules: [
          CrossRule(doc: "min < max") { context in
            guard let min = context.object["min"]?.number,
              let max = context.object["max"]?.number, min >= max
            else { return }
            context.report(
              "expected max > min, found min \(formatNumber(min)) and max \(formatNumber(max))",
              key: "max")
          }
        ]),
      build: { object in
        guard let min = object["min"]?.number, let max = object["max"]?.number, min < max
        else { return nil }
        return .uniform(min: min, max: max)
      }),
    Distribution(
      name: "beta",
      doc: "beta distribution for fractions, by mean and sd; point value = mean",
      schema: ObjectSchema(fields: [
        Field(
          "mean",
          .number(NumberRange(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: false)),
          .required, doc: "mean, 0 < mean < 1"),
        Field(
          "sd", .number(.greaterThan(0)), .required,
          doc: "standard deviation, sd^2 < mean (1 - mean)"),
      ]),
      build: { object in
        guard let mean = object["mean"]?.number, let sd = object["sd"]?.number else {
          return nil
        }
        return .beta(mean: mean, sd: sd)
      }),
  ]
}
