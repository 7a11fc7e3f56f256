import Foundation
import TwinModels
import TwinPhysiology
import TwinRandom

/// Simulates one arm for one block of persons over all steps.
///
/// Each step, for every person alive: the natural course of the risk factors
/// (age, linear drifts), then the arm's interventions on the named quantities,
/// then (with physiology, once a simulated year) the circulation model's
/// periodic steady state, then the ten-year risk; the state is handed to the
/// recorder; then competing events are drawn for the step. Data flow one way:
/// state -> models -> events -> recorder.
///
/// Random numbers come from `events` keyed by (person, step, draw), with a
/// fixed draw index per purpose, so arms share every draw an intervention does
/// not change (common random numbers) and results do not depend on the block.
public struct ArmSimulator: Sendable {
  public let parameters: ModelParameters
  public let arm: ArmParameters
  /// Stream of the event draws (shared by all arms of a realisation).
  public let events: RandomStream
  /// Seed of the realisation's streams (for propensities).
  public let seed: UInt64
  /// Bounds that let the event loop skip the logarithm of draws without an event (built once
  /// from `parameters`).
  let ceilings: HazardCeilings
  /// Whether the arm state keeps the risk factors and ten-year risk per person
  /// (`ArmState.keepsRiskFactors`): when the risk equation or the physiology reads them or
  /// the caller records them.
  public let keepsRiskFactors: Bool
  /// Whether the arm reads the block's sbp, total cholesterol, HDL and BMI columns: when it
  /// keeps the risk factors, or gives antihypertensive treatment (started by SBP). Otherwise
  /// those columns may be released (`PersonBlock.releaseWrittenColumns`).
  public let readsBlockRiskFactors: Bool
  /// Whether the recorder reads the `on_<type>` columns (`ArmState.onIntervention`).
  public let recordsInterventions: Bool

  /// `recordsRiskFactors`: whether the recorder reads sbp, total cholesterol, HDL, BMI or
  /// ten-year risk from the state (`RecordedVariable.readsRiskFactors`).
  public init(
    parameters: ModelParameters, arm: ArmParameters, seed: UInt64, recordsRiskFactors: Bool = true,
    recordsInterventions: Bool = false
  ) {
    self.recordsInterventions = recordsInterventions
    self.parameters = parameters
    self.arm = arm
    self.seed = seed
    self.events = RandomStream(seed: seed, name: StreamName.events)
    self.ceilings = HazardCeilings(parameters: parameters)
    self.keepsRiskFactors = Self.keepsRiskFactors(
      parameters: parameters, recordsRiskFactors: recordsRiskFactors)
    self.readsBlockRiskFactors = Self.readsBlockRiskFactors(
      parameters: parameters, arms: [arm], recordsRiskFactors: recordsRiskFactors)
  }

  /// Whether an arm state keeps the risk factors (`keepsRiskFactors`).
  static func keepsRiskFactors(parameters: ModelParameters, recordsRiskFactors: Bool) -> Bool {
    recordsRiskFactors || parameters.cardiovascularRisk != nil || parameters.physiology != nil
  }

  /// Whether simulating any of `arms` reads the block's sbp, total cholesterol, HDL and BMI
  /// columns (`readsBlockRiskFactors`).
  public static func readsBlockRiskFactors(
    parameters: ModelParameters, arms: [ArmParameters], recordsRiskFactors: Bool
  ) -> Bool {
    keepsRiskFactors(parameters: parameters, recordsRiskFactors: recordsRiskFactors)
      || arms.contains { arm in
        arm.interventions.contains {
          if case .antihypertensive = $0.effect { true } else { false }
        }
      }
  }

  /// Runs the arm; calls `recorder` at every time point 0 ... steps.
  public func run(
    block: PersonBlock, recorder: inout some SimulationRecorder
  ) throws -> (counts: StepCounts, events: EventLog) {
    var progress = start(block: block)
    while try advance(&progress, block: block, recorder: &recorder) {}
    return finish(progress)
  }

  /// The arm before its first time point.
  public func start(block: PersonBlock) -> ArmProgress {
    var state = ArmState(
      block: block, interventionCount: arm.interventions.count,
      physiology: parameters.physiology != nil, keepsRiskFactors: keepsRiskFactors,
      recordsInterventions: recordsInterventions)
    drawPropensities(block: block, state: &state)
    return ArmProgress(
      state: state,
      counts: StepCounts(
        timePoints: parameters.steps + 1, conditionCount: parameters.conditions.count),
      eventBuffer: EventBuffer(persons: block.count), nextTimeIndex: 0)
  }

  /// The arm as a checkpoint left it: the persons' flags at `saved.nextTimeIndex`,
  /// the counts and events so far. Continuing gives the same result as if the
  /// run had not stopped.
  public func resume(block: PersonBlock, saved: SavedArmState) -> ArmProgress {
    var progress = start(block: block)
    progress.state.alive = saved.alive
    progress.state.cvdHistory = saved.cvdHistory
    progress.state.smoking = saved.smoking
    progress.state.bpTreated = saved.bpTreated
    progress.state.conditions = saved.conditions
    progress.state.started = saved.started
    progress.state.everTreated = saved.everTreated
    if let physiology = saved.physiology { progress.state.physiology.restore(physiology) }
    for person in 0..<block.count where saved.alive[person] == 0 {
      progress.state.markDead(person)
    }
    progress.counts = saved.counts
    progress.eventBuffer = EventBuffer(persons: block.count, events: saved.events)
    progress.nextTimeIndex = saved.nextTimeIndex
    return progress
  }

  /// Computes the next time point (quantities, risk), hands it to the recorder
  /// and draws the events of the step that starts there. Returns false when
  /// every time point is done.
  public func advance(
    _ progress: inout ArmProgress, block: PersonBlock, recorder: inout some SimulationRecorder
  ) throws -> Bool {
    let step = progress.nextTimeIndex
    guard step <= parameters.steps else { return false }
    progress.state.timeIndex = step
    let time = Double(step) * parameters.stepYears
    let solvesPhysiology =
      parameters.physiology != nil && step % parameters.stepsPerYear == 0
    progress.counts.treatmentStarts[step] = Int64(
      updateQuantities(
        block: block, time: time, solvesPhysiology: solvesPhysiology, state: &progress.state))
    if solvesPhysiology { solvePhysiology(block: block, step: step, state: &progress.state) }
    progress.counts.alive[step] = Int64(progress.state.alive.reduce(0) { $0 + Int($1) })
    try recorder.record(progress.state)
    if step < parameters.steps {
      drawEvents(
        block: block, step: step, state: &progress.state, counts: &progress.counts,
        eventLog: &progress.eventBuffer)
    }
    progress.nextTimeIndex = step + 1
    return progress.nextTimeIndex <= parameters.steps
  }

  /// The arm's counts and its events in person, then time order.
  public func finish(_ progress: ArmProgress) -> (counts: StepCounts, events: EventLog) {
    var events = progress.eventBuffer.log
    events.sortByPerson()
    return (progress.counts, events)
  }

  /// Marks the persons each intervention reaches: propensity < reached share.
  func drawPropensities(block: PersonBlock, state: inout ArmState) {
    for (index, intervention) in arm.interventions.enumerated() {
      let stream = RandomStream(seed: seed, name: intervention.propensityStream)
      for person in 0..<block.count {
        let propensity = stream.uniform(
          person: UInt64(block.firstPerson + person), step: 0, draw: 0)
        state.reached[index][person] = propensity < intervention.reachedFraction ? 1 : 0
      }
    }
  }

  /// Computes age, risk factors after interventions, and ten-year risk at `time`.
  ///
  /// With physiology, the risk equations see `sbp + riskSbpOffset` (the offset the last
  /// yearly solve left, 0 before the first); at a step that solves the physiology
  /// (`solvesPhysiology`) each person's model parameters are filled in instead, and
  /// `solvePhysiology` computes the ten-year risk after the solve.
  ///
  /// Returns the persons on whom an intervention acts for the first time (`everTreated`);
  /// sets the `on_<type>` columns when they are recorded.
  @discardableResult
  func updateQuantities(
    block: PersonBlock, time: Double, solvesPhysiology: Bool = false, state: inout ArmState
  ) -> Int {
    let drift = parameters.trajectories
    // The mapping bound once: unwrapping the optional coupling inside the loop copied it (and
    // retained its tables) for every person, 7 % of a run without physiology.
    let mapping = parameters.physiology?.mapping
    let coupled = mapping != nil
    let readsRiskFactors = readsBlockRiskFactors
    // Bit of each intervention's type (`InterventionType` order) in `acting`.
    let typeBits = arm.interventions.map { UInt8(1) << UInt8($0.type.columnIndex) }
    let recordsInterventions = self.recordsInterventions
    var newlyTreated = 0
    for person in 0..<block.count {
      guard state.alive[person] == 1 else { continue }
      let startAge = block.ageYears[person]
      // An arm that does not read the block's risk factors (they may be released) carries
      // NaN through the interventions; nothing reads the result (`keepsRiskFactors` false).
      var quantities =
        readsRiskFactors
        ? Quantities(
          sbp: max(block.sbp[person] + drift.sbpMmHgPerYear * time, Trajectories.floorSbpMmHg),
          totalCholesterol: max(
            block.totalCholesterol[person] + drift.totalCholesterolMmolLPerYear * time,
            Trajectories.floorTotalCholesterolMmolL),
          hdl: max(block.hdl[person] + drift.hdlMmolLPerYear * time, Trajectories.floorHdlMmolL),
          bmi: max(block.bmi[person] + drift.bmiPerYear * time, Trajectories.floorBmi),
          smoking: block.smoking[person], bpTreated: block.bpTreated[person])
        : Quantities(
          sbp: .nan, totalCholesterol: .nan, hdl: .nan, bmi: .nan,
          smoking: block.smoking[person], bpTreated: block.bpTreated[person])
      let sex = block.sex[person]
      let age = startAge + time
      let diabetes = block.diabetes[person]
      // The physiology's addition to the SBP the risk equations see (0 without physiology).
      let riskSbpOffset = coupled ? state.physiology.riskSbpOffset[person] : 0
      // The types of the interventions acting on the person at this time point.
      var acting: UInt8 = 0
      for (index, intervention) in arm.interventions.enumerated()
      where state.reached[index][person] == 1 {
        let startTime = intervention.startTime(ageAtStartYears: startAge)
        guard time >= startTime else { continue }
        switch intervention.effect {
        case .smoking(let smoker):
          quantities.smoking = smoker ? 1 : 0
          acting |= typeBits[index]
        case .diet(let tcShift, let hdlShift, let sbpShift, let bmiShift, let onsetYears):
          acting |= typeBits[index]
          let ramp = onsetYears > 0 ? min(1, (time - startTime) / onsetYears) : 1
          quantities.totalCholesterol = max(
            quantities.totalCholesterol + ramp * tcShift, Trajectories.floorTotalCholesterolMmolL)
          quantities.hdl = max(quantities.hdl + ramp * hdlShift, Trajectories.floorHdlMmolL)
          quantities.sbp = max(quantities.sbp + ramp * sbpShift, Trajectories.floorSbpMmHg)
          quantities.bmi = max(quantities.bmi + ramp * bmiShift, Trajectories.floorBmi)
        case .statin(let factor, let minimumRisk10):
          if state.started[index][person] == 0 {
            let eligible =
              minimumRisk10.map {
                risk(
                  sex: sex, age: age, quantities, diabetes: diabetes,
                  sbpOffsetMmHg: riskSbpOffset) >= $0
              } ?? true
            if eligible { state.started[index][person] = 1 }
          }
          if state.started[index][person] == 1 {
            quantities.totalCholesterol *= factor
            acting |= typeBits[index]
          }
        case .antihypertensive(let shift, let minimumSbp):
          if state.started[index][person] == 0, quantities.sbp >= (minimumSbp ?? -.infinity) {
            state.started[index][person] = 1
          }
          if state.started[index][person] == 1 {
            quantities.sbp = max(quantities.sbp + shift, Trajectories.floorSbpMmHg)
            quantities.bpTreated = 1
            acting |= typeBits[index]
          }
        }
      }
      if acting != 0, state.everTreated[person] == 0 {
        state.everTreated[person] = 1
        newlyTreated += 1
      }
      if recordsInterventions {
        for type in state.onIntervention.indices {
          state.onIntervention[type][person] = (acting >> UInt8(type)) & 1
        }
      }
      state.ageYears[person] = age
      state.smoking[person] = quantities.smoking
      state.bpTreated[person] = quantities.bpTreated
      // Without a risk equation or physiology (which keep them), nothing reads these unless
      // they are recorded.
      guard keepsRiskFactors else { continue }
      state.sbp[person] = quantities.sbp
      state.totalCholesterol[person] = quantities.totalCholesterol
      state.hdl[person] = quantities.hdl
      state.bmi[person] = quantities.bmi
      guard coupled else {
        state.risk10[person] = risk(sex: sex, age: age, quantities, diabetes: diabetes)
        continue
      }
      if solvesPhysiology {
        // Interventions reach the physiology through the same named quantities.
        state.physiology.parameters[person] = mapping!.parameters(
          for: physiologyPerson(sex: sex, age: age, quantities))
      } else {
        state.physiology.riskSbp[person] = quantities.sbp + riskSbpOffset
        state.risk10[person] = risk(
          sex: sex, age: age, quantities, diabetes: diabetes, sbpOffsetMmHg: riskSbpOffset)
      }
    }
    return newlyTreated
  }

  /// Solves the physiology of every person alive at time point `step` (parameters filled in by
  /// `updateQuantities`), warm-started from the person's previous state, then feeds the
  /// modelled SBP into the risk equations by `PhysiologyMapping.riskEquationSbp`: observed SBP
  /// at time point 0 plus the modelled change since time point 0. A person whose solve gives
  /// no finite SBP (invalid parameters) keeps the previous offset.
  func solvePhysiology(block: PersonBlock, step: Int, state: inout ArmState) {
    guard let coupling = parameters.physiology else { return }
    // Work on the columns outside `state` (a swap: no copy, no allocation).
    var physiology = PhysiologyArmState.empty
    swap(&physiology, &state.physiology)
    defer { swap(&physiology, &state.physiology) }
    for person in 0..<block.count { physiology.active[person] = state.alive[person] == 1 }
    PhysiologyBatch.solve(
      parameters: physiology.parameters, warmStart: &physiology.warmStart,
      options: coupling.options, active: physiology.active, into: &physiology.metrics,
      statistics: &physiology.statistics)
    for person in 0..<block.count where state.alive[person] == 1 {
      let sex = block.sex[person]
      let age = state.ageYears[person]
      let quantities = Quantities(
        sbp: state.sbp[person], totalCholesterol: state.totalCholesterol[person],
        hdl: state.hdl[person], bmi: state.bmi[person], smoking: state.smoking[person],
        bpTreated: state.bpTreated[person])
      physiology.pwv[person] = coupling.mapping.pulseWaveVelocity(
        physiologyPerson(sex: sex, age: age, quantities))
      let modelledSbp = physiology.metrics.sbp[person]
      if step == 0 {
        physiology.observedBaselineSbp[person] = quantities.sbp
        physiology.modelledBaselineSbp[person] = modelledSbp
      }
      if modelledSbp.isFinite && physiology.modelledBaselineSbp[person].isFinite {
        let riskSbp = PhysiologyMapping.riskEquationSbp(
          observedBaselineSbpMmHg: physiology.observedBaselineSbp[person],
          modelledBaselineSbpMmHg: physiology.modelledBaselineSbp[person],
          modelledSbpMmHg: modelledSbp)
        physiology.riskSbpOffset[person] = riskSbp - quantities.sbp
      }
      let offset = physiology.riskSbpOffset[person]
      physiology.riskSbp[person] = quantities.sbp + offset
      state.risk10[person] = risk(
        sex: sex, age: age, quantities, diabetes: block.diabetes[person], sbpOffsetMmHg: offset)
    }
  }

  /// What the physiology mapping reads of a person: the statistical models' named quantities.
  @inline(__always)
  func physiologyPerson(sex: UInt8, age: Double, _ quantities: Quantities) -> PhysiologyPerson {
    PhysiologyPerson(
      ageYears: age, sex: sex == 0 ? .female : .male, sbpMmHg: quantities.sbp,
      smoker: quantities.smoking == 1, bpTreated: quantities.bpTreated == 1)
  }

  /// Ten-year risk with `sbpOffsetMmHg` added to the SBP the equation sees (the physiology's
  /// addition; 0 gives `risk`).
  @inline(__always)
  func risk(
    sex: UInt8, age: Double, _ quantities: Quantities, diabetes: UInt8, sbpOffsetMmHg: Double
  ) -> Double {
    var seen = quantities
    seen.sbp += sbpOffsetMmHg
    return risk(sex: sex, age: age, seen, diabetes: diabetes)
  }

  @inline(__always)
  func risk(sex: UInt8, age: Double, _ quantities: Quantities, diabetes: UInt8) -> Double {
    guard let model = parameters.cardiovascularRisk else { return .nan }
    return model.tenYearRisk(
      RiskFactors(
        sex: sex == 0 ? .female : .male, ageYears: age,
        totalCholesterolMmolL: quantities.totalCholesterol,
        hdlCholesterolMmolL: quantities.hdl, sbpMmHg: quantities.sbp,
        bpTreated: quantities.bpTreated == 1, smoker: quantities.smoking == 1,
        diabetes: diabetes == 1))
  }

  /// Draws the competing events of step `step` for every person alive.
  ///
  /// Each cause has its own exponential event time `-ln(u) / hazard` from its
  /// own uniform (hazards constant within the step); the earliest terminal
  /// event within the step is the death, non-fatal events before it happen.
  /// Draw indices (pairs of uniforms from one Philox block): 0 (background,
  /// CVD), 1 (CVD fatality, unused), and for condition c: 2 + c (onset,
  /// onset fatality) and then 2 + C + c (excess death, unused).
  func drawEvents(
    block: PersonBlock, step: Int, state: inout ArmState, counts: inout StepCounts,
    eventLog log: inout EventBuffer
  ) {
    let dt = parameters.stepYears
    let stepStart = Double(step) * dt
    let next = step + 1
    let conditions = parameters.conditions
    let conditionCount = conditions.count
    // The person loop reads trivial copies (ConditionScalars) and a flat list of
    // condition-on-condition relative risks: no reference counting per person.
    let scalars = conditions.map(ConditionScalars.init)
    var otherRisks: [(index: Int, relativeRisk: Double)] = []
    var otherRiskStart = [0]
    for condition in conditions {
      otherRisks.append(contentsOf: condition.relativeRiskConditions)
      otherRiskStart.append(otherRisks.count)
    }
    let cvdOn = parameters.cardiovascularRisk != nil
    // Ages at which the risk equation is evaluated at the nearest valid age (`hold`).
    let validAges = parameters.cardiovascularRisk?.validAges
    // Draws that certainly give no event skip their logarithm (bit-identical: HazardCeilings).
    let ceilings = self.ceilings
    let background = parameters.background
    for person in 0..<block.count {
      guard state.alive[person] == 1 else { continue }
      let globalPerson = UInt64(block.firstPerson + person)
      let sex = block.sex[person]
      let age = state.ageYears[person]
      let randomStep = UInt32(step)
      let wholeAge = ceilings.wholeAge(age)
      let smoker = state.smoking[person] == 1

      let (uBackground, uCVD) = events.uniformPair(person: globalPerson, step: randomStep, draw: 0)
      var deathTime = Double.infinity
      var deathKind: UInt8 = 0
      var backgroundTime = Double.infinity
      let backgroundImpossible =
        wholeAge.map {
          ceilings.certainlyNoEvent(
            uBackground,
            rate: ceilings.backgroundRate(
              sex: sex, wholeAge: $0,
              multiplier: smoker ? background.smokerMultiplier : background.nonSmokerMultiplier))
        } ?? false
      if !backgroundImpossible {
        backgroundTime = background.eventTime(
          sex: sex, smoker: smoker, ageYears: age, exponential: -Foundation.log(uBackground),
          withinYears: dt, exactTiming: parameters.exactHazardTiming)
      }
      if backgroundTime < dt {
        deathTime = backgroundTime
        deathKind = EventKind.otherDeath
      }

      var cvdTime = Double.infinity
      var cvdFatal = false
      if cvdOn {
        var hazard = annualHazard(fromTenYearRisk: state.risk10[person])
        if state.cvdHistory[person] == 1 { hazard *= parameters.cvdHistoryRelativeRisk }
        for index in 0..<conditionCount where state.conditions[index][person] == 1 {
          hazard *= scalars[index].historyRelativeRisk
        }
        if hazard > 0 && !ceilings.certainlyNoEvent(uCVD, rate: hazard) {
          cvdTime = -Foundation.log(uCVD) / hazard
          if cvdTime < dt {
            let (uFatal, _) = events.uniformPair(person: globalPerson, step: randomStep, draw: 1)
            cvdFatal = uFatal < parameters.cvdCaseFatality
            if cvdFatal, cvdTime < deathTime {
              deathTime = cvdTime
              deathKind = EventKind.cvdDeath
            }
          }
        }
      }

      // Conditions: onsets of those the person does not have, excess deaths of
      // those the person has (at the start of the step).
      var onsetTimes = ConditionTimes()
      for index in 0..<conditionCount {
        let condition = scalars[index]
        if state.conditions[index][person] == 1 {
          guard condition.excessMortality > 0 else { continue }
          let (uExcess, _) = events.uniformPair(
            person: globalPerson, step: randomStep, draw: UInt32(2 + conditionCount + index))
          guard !ceilings.certainlyNoEvent(uExcess, rate: condition.excessMortality) else {
            continue
          }
          let time = -Foundation.log(uExcess) / condition.excessMortality
          if time < deathTime {
            deathTime = time
            deathKind = EventKind.conditionDeath(index)
          }
        } else {
          var relativeRisk = 1.0
          if smoker { relativeRisk *= condition.relativeRiskSmoking }
          if block.diabetes[person] == 1 { relativeRisk *= condition.relativeRiskDiabetes }
          if state.bpTreated[person] == 1 { relativeRisk *= condition.relativeRiskBpTreated }
          for pair in otherRiskStart[index]..<otherRiskStart[index + 1] {
            let (other, otherRisk) = otherRisks[pair]
            if state.conditions[other][person] == 1 { relativeRisk *= otherRisk }
          }
          let (uOnset, uFatal) = events.uniformPair(
            person: globalPerson, step: randomStep, draw: UInt32(2 + index))
          if let wholeAge,
            ceilings.certainlyNoEvent(
              uOnset,
              rate: ceilings.onsetRate(
                condition: index, sex: sex, wholeAge: wholeAge, relativeRisk: relativeRisk))
          {
            continue
          }
          let exponential = -Foundation.log(uOnset)
          let time =
            condition.gompertzOnsetTime(
              sex: sex, ageYears: age, relativeRisk: relativeRisk, exponential: exponential,
              withinYears: dt, exactTiming: parameters.exactHazardTiming)
            ?? conditions[index].onsetTime(
              sex: sex, ageYears: age, relativeRisk: relativeRisk, exponential: exponential,
              withinYears: dt, exactTiming: parameters.exactHazardTiming)
          guard time < dt else { continue }
          onsetTimes.append(index: index, time: time)
          if uFatal < condition.caseFatality, time < deathTime {
            deathTime = time
            deathKind = EventKind.conditionDeath(index)
          }
        }
      }

      let end = min(deathTime, dt)
      let nanoyears = Int64((end * StepCounts.nanoyearsPerYear).rounded())
      counts.personNanoyears[next] += nanoyears
      if let validAges, !validAges.contains(age) { counts.riskHeldNanoyears[next] += nanoyears }

      // Non-fatal events before the death (or the step's end) happen.
      // (A fatal CVD event is the death itself: its time equals `end`.)
      if cvdOn, cvdTime < end {
        state.cvdHistory[person] = 1
        counts.cvdEvents[next] += 1
        log.append(person: Int64(globalPerson), time: stepStart + cvdTime, kind: EventKind.cvdEvent)
      }
      // An onset at the time of death (a fatal onset) is an onset and a death.
      for (index, time) in onsetTimes.entries where time <= end {
        state.conditions[index][person] = 1
        counts.conditionOnsets[index][next] += 1
        if scalars[index].countsAsCVD { counts.cvdEvents[next] += 1 }
        log.append(
          person: Int64(globalPerson), time: stepStart + time, kind: EventKind.conditionOnset(index)
        )
      }

      guard deathTime < dt else { continue }
      state.alive[person] = 0
      counts.deaths[next] += 1
      switch deathKind {
      case EventKind.cvdDeath:
        counts.cvdEvents[next] += 1
        counts.cvdDeaths[next] += 1
      case EventKind.otherDeath:
        counts.otherDeaths[next] += 1
      default:
        let index = Int(deathKind - EventKind.conditionOnsetBase) / 2
        counts.conditionDeaths[index][next] += 1
        if scalars[index].countsAsCVD {
          counts.cvdDeaths[next] += 1
        } else {
          counts.otherDeaths[next] += 1
        }
      }
      log.append(person: Int64(globalPerson), time: stepStart + deathTime, kind: deathKind)
      state.markDead(person)
    }
  }
}

/// Risk factors of one person after the natural course and interventions.
struct Quantities {
  var sbp: Double
  var totalCholesterol: Double
  var hdl: Double
  var bmi: Double
  var smoking: UInt8
  var bpTreated: UInt8
}

/// Onset times within a step of the conditions that start in it (an array:
/// it allocates only in the rare steps with a new case).
struct ConditionTimes {
  private(set) var entries: [(index: Int, time: Double)] = []
  mutating func append(index: Int, time: Double) { entries.append((index, time)) }
}

/// Names of the engine's random streams. A result is a pure function of the
/// seed and these names: renaming one changes results.
public enum StreamName {
  public static let events = "events"
  public static let population = "population"
  public static let parameters = "parameters"
}
