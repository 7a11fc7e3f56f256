/// Parameters of many persons as columns (structure of arrays): `HR[person]`, `E_sa[person]`,
/// ... with the names and units of `PhysiologyParameters`.
public struct PhysiologyParameterColumns: Sendable, Equatable {
  public var HR: [Double]
  public var A: [Double]
  public var B: [Double]
  public var C: [Double]
  public var E_lv: [Double]
  public var P0_lv: [Double]
  public var lam_lv: [Double]
  public var E_rv: [Double]
  public var P0_rv: [Double]
  public var lam_rv: [Double]
  public var E_pa: [Double]
  public var E_pu: [Double]
  public var E_sa: [Double]
  public var E_sv: [Double]
  public var R_pul: [Double]
  public var R_sys: [Double]
  public var R_mt: [Double]
  public var R_av: [Double]
  public var R_tc: [Double]
  public var R_pv: [Double]
  public var V_stressed: [Double]

  /// `count` persons with the same parameters.
  public init(repeating parameters: PhysiologyParameters, count: Int) {
    HR = Array(repeating: parameters.HR, count: count)
    A = Array(repeating: parameters.A, count: count)
    B = Array(repeating: parameters.B, count: count)
    C = Array(repeating: parameters.C, count: count)
    E_lv = Array(repeating: parameters.E_lv, count: count)
    P0_lv = Array(repeating: parameters.P0_lv, count: count)
    lam_lv = Array(repeating: parameters.lam_lv, count: count)
    E_rv = Array(repeating: parameters.E_rv, count: count)
    P0_rv = Array(repeating: parameters.P0_rv, count: count)
    lam_rv = Array(repeating: parameters.lam_rv, count: count)
    E_pa = Array(repeating: parameters.E_pa, count: count)
    E_pu = Array(repeating: parameters.E_pu, count: count)
    E_sa = Array(repeating: parameters.E_sa, count: count)
    E_sv = Array(repeating: parameters.E_sv, count: count)
    R_pul = Array(repeating: parameters.R_pul, count: count)
    R_sys = Array(repeating: parameters.R_sys, count: count)
    R_mt = Array(repeating: parameters.R_mt, count: count)
    R_av = Array(repeating: parameters.R_av, count: count)
    R_tc = Array(repeating: parameters.R_tc, count: count)
    R_pv = Array(repeating: parameters.R_pv, count: count)
    V_stressed = Array(repeating: parameters.V_stressed, count: count)
  }

  /// One row per element of `persons`.
  public init(_ persons: [PhysiologyParameters]) {
    self.init(repeating: .healthyAdult, count: persons.count)
    for (person, parameters) in persons.enumerated() { self[person] = parameters }
  }

  public var count: Int { HR.count }

  /// The parameters of one person.
  public subscript(person: Int) -> PhysiologyParameters {
    get {
      PhysiologyParameters(
        HR: HR[person], A: A[person], B: B[person], C: C[person], E_lv: E_lv[person],
        P0_lv: P0_lv[person], lam_lv: lam_lv[person], E_rv: E_rv[person], P0_rv: P0_rv[person],
        lam_rv: lam_rv[person], E_pa: E_pa[person], E_pu: E_pu[person], E_sa: E_sa[person],
        E_sv: E_sv[person], R_pul: R_pul[person], R_sys: R_sys[person], R_mt: R_mt[person],
        R_av: R_av[person], R_tc: R_tc[person], R_pv: R_pv[person],
        V_stressed: V_stressed[person])
    }
    set {
      HR[person] = newValue.HR
      A[person] = newValue.A
      B[person] = newValue.B
      C[person] = newValue.C
      E_lv[person] = newValue.E_lv
      P0_lv[person] = newValue.P0_lv
      lam_lv[person] = newValue.lam_lv
      E_rv[person] = newValue.E_rv
      P0_rv[person] = newValue.P0_rv
      lam_rv[person] = newValue.lam_rv
      E_pa[person] = newValue.E_pa
      E_pu[person] = newValue.E_pu
      E_sa[person] = newValue.E_sa
      E_sv[person] = newValue.E_sv
      R_pul[person] = newValue.R_pul
      R_sys[person] = newValue.R_sys
      R_mt[person] = newValue.R_mt
      R_av[person] = newValue.R_av
      R_tc[person] = newValue.R_tc
      R_pv[person] = newValue.R_pv
      V_stressed[person] = newValue.V_stressed
    }
  }
}

/// The six volumes of many persons as columns, ml: the warm starts the engine keeps from one
/// simulated year to the next. A person whose volumes are not all finite starts cold (from the
/// periodic state `PhysiologyPreconditionerTable` interpolates, scaled to its `V_stressed`).
///
/// `dV_*` hold the change of the person's steady state between its last two solves (NaN until
/// it has been solved twice). When finite, the batch starts the next search from V + dV, a
/// linear extrapolation that for smoothly ageing parameters lands within about 0.02 ml of the
/// new periodic state instead of about 1 ml (docs/physiology.md), halving the beats needed.
public struct PhysiologyStateColumns: Sendable, Equatable {
  public var V_lv: [Double]
  public var V_rv: [Double]
  public var V_pa: [Double]
  public var V_pu: [Double]
  public var V_sa: [Double]
  public var V_sv: [Double]
  public var dV_lv: [Double]
  public var dV_rv: [Double]
  public var dV_pa: [Double]
  public var dV_pu: [Double]
  public var dV_sa: [Double]
  public var dV_sv: [Double]

  /// `count` persons without a state yet (NaN: cold start).
  public init(count: Int) {
    self.init(repeating: .notAvailable, count: count)
  }

  /// `count` persons starting from `state`, without a previous change.
  public init(repeating state: PhysiologyState, count: Int) {
    V_lv = Array(repeating: state.V_lv, count: count)
    V_rv = Array(repeating: state.V_rv, count: count)
    V_pa = Array(repeating: state.V_pa, count: count)
    V_pu = Array(repeating: state.V_pu, count: count)
    V_sa = Array(repeating: state.V_sa, count: count)
    V_sv = Array(repeating: state.V_sv, count: count)
    dV_lv = Array(repeating: .nan, count: count)
    dV_rv = dV_lv
    dV_pa = dV_lv
    dV_pu = dV_lv
    dV_sa = dV_lv
    dV_sv = dV_lv
  }

  public var count: Int { V_lv.count }

  /// The volumes of one person.
  public subscript(person: Int) -> PhysiologyState {
    get {
      PhysiologyState(
        V_lv: V_lv[person], V_rv: V_rv[person], V_pa: V_pa[person], V_pu: V_pu[person],
        V_sa: V_sa[person], V_sv: V_sv[person])
    }
    set {
      V_lv[person] = newValue.V_lv
      V_rv[person] = newValue.V_rv
      V_pa[person] = newValue.V_pa
      V_pu[person] = newValue.V_pu
      V_sa[person] = newValue.V_sa
      V_sv[person] = newValue.V_sv
    }
  }

  /// The change of one person's steady state between its last two solves.
  public subscript(changeOf person: Int) -> PhysiologyState {
    get {
      PhysiologyState(
        V_lv: dV_lv[person], V_rv: dV_rv[person], V_pa: dV_pa[person], V_pu: dV_pu[person],
        V_sa: dV_sa[person], V_sv: dV_sv[person])
    }
    set {
      dV_lv[person] = newValue.V_lv
      dV_rv[person] = newValue.V_rv
      dV_pa[person] = newValue.V_pa
      dV_pu[person] = newValue.V_pu
      dV_sa[person] = newValue.V_sa
      dV_sv[person] = newValue.V_sv
    }
  }
}

/// Steady-state metrics of many persons as columns (units of `PhysiologyMetrics`), with the
/// beats each search took. Persons not solved (inactive or invalid parameters) hold NaN,
/// 0 beats and `converged == false`.
public struct PhysiologyMetricColumns: Sendable, Equatable {
  public var sbp: [Double]
  public var dbp: [Double]
  public var map: [Double]
  public var pulsePressure: [Double]
  public var strokeVolume: [Double]
  public var lvedv: [Double]
  public var lvesv: [Double]
  public var cardiacOutput: [Double]
  public var ejectionFraction: [Double]
  public var peakLvPressure: [Double]
  /// Beats integrated until convergence, including the confirming beat.
  public var beatsToSteadyState: [Int32]
  public var converged: [Bool]

  public init(count: Int) {
    sbp = Array(repeating: .nan, count: count)
    dbp = sbp
    map = sbp
    pulsePressure = sbp
    strokeVolume = sbp
    lvedv = sbp
    lvesv = sbp
    cardiacOutput = sbp
    ejectionFraction = sbp
    peakLvPressure = sbp
    beatsToSteadyState = Array(repeating: 0, count: count)
    converged = Array(repeating: false, count: count)
  }

  public var count: Int { sbp.count }

  /// The metrics of one person.
  public subscript(person: Int) -> PhysiologyMetrics {
    get {
      PhysiologyMetrics(
        sbp: sbp[person], dbp: dbp[person], map: map[person],
        pulsePressure: pulsePressure[person], strokeVolume: strokeVolume[person],
        lvedv: lvedv[person], lvesv: lvesv[person], cardiacOutput: cardiacOutput[person],
        ejectionFraction: ejectionFraction[person], peakLvPressure: peakLvPressure[person])
    }
    set {
      sbp[person] = newValue.sbp
      dbp[person] = newValue.dbp
      map[person] = newValue.map
      pulsePressure[person] = newValue.pulsePressure
      strokeVolume[person] = newValue.strokeVolume
      lvedv[person] = newValue.lvedv
      lvesv[person] = newValue.lvesv
      cardiacOutput[person] = newValue.cardiacOutput
      ejectionFraction[person] = newValue.ejectionFraction
      peakLvPressure[person] = newValue.peakLvPressure
    }
  }
}
