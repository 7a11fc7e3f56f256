#!/usr/bin/env Rscript
# Compare every arm with the baseline: events averted, life-years gained, NNT.
# The R twin of compare_arms.py: the same definitions, the same numbers, the
# same text layout, and --json for the same JSON object.
#
#   Rscript scripts/analysis/compare_arms.R runs/quickstart/results.h5
#   Rscript scripts/analysis/compare_arms.R runs/quickstart/results.h5 --json
#
# Needs R and hdf5r, nothing else (base R otherwise); on Debian 12:
#
#   apt-get install --no-install-recommends r-base-core r-cran-hdf5r
#
# (scripts/setup installs both; Debian's hdf5r brings only HDF5's runtime
# libraries, not the serial development package.)
#
# What it computes, per arm against the baseline (root attribute baseline_arm),
# from /arms/<arm>/summary summed over time, n = n_persons:
#   events_averted_per_1000     1,000 x (CVD events of the baseline - of the arm) / n
#   life_years_gained_per_1000  1,000 x (person-years of the arm - of the baseline) / n
#   nnt                         1,000 / events averted per 1,000 (n/a unless > 0)
# Arms share their random numbers (common random numbers), so differences are
# taken within each realisation. With two or more realisations the uncertainty
# is the spread over realisations: 2.5 / 97.5 percentiles (R's default type 7,
# numpy's default "linear") and the Monte Carlo standard error sd / sqrt(R).
# With one realisation it comes from the persons: per-person lifetimes and CVD
# event counts from the events table, differenced person by person against the
# baseline (paired), standard error sd / sqrt(n), interval +- 1.96 standard
# errors. The NNT interval inverts that of events averted (Altman 1998); its
# upper end is unbounded when that interval reaches zero. The same definitions
# as `twin-sim summary` (docs/analysis.md).
#
# Which event kinds are cardiovascular (one realisation only): cvd_event (1),
# cvd_death (2) and the onsets (16 + 2c) of conditions with counts_as_cvd: true.
# compare_arms.py reads that flag from the scenario text stored in the file;
# base R has no YAML parser, so this script picks, as `twin-sim summary` does,
# the conditions whose onsets in the events table make realisation 0's
# summary/cvd_events add up in every arm. That is the scenario's choice
# whenever only one choice adds up; if several do (conditions with equal counts
# in every arm) or none does (an inconsistent file), it reads the scenario with
# the R package yaml when installed (r-cran-yaml), else it stops and says so.
#
# Tests/python/test_analysis_r.py runs both scripts on real runs: the text
# output is identical and the JSON numbers agree to 1e-12 relative (R sums in
# long double, numpy pairwise in double).
#
# R is column-major: hdf5r returns an HDF5 dataset of shape [a, b] as an R
# array of dim c(b, a), so summary datasets ([realisation, time]) arrive as
# [time, realisation].

suppressPackageStartupMessages(library(hdf5r))

Z975 <- 1.959963984540054 # qnorm(0.975), as scipy.stats.norm.ppf(0.975)
MEASURES <- c("events_averted_per_1000", "life_years_gained_per_1000", "nnt")

usage <- function() {
  cat("usage: Rscript compare_arms.R RESULTS [--json]\n",
      "  RESULTS  results.h5 of a twin-sim run\n",
      "  --json   print the comparison as JSON\n", sep = "")
}

# A dataset as a plain R double vector (int64 via hdf5r's lossless conversion).
read_values <- function(f, name) as.numeric(f[[name]]$read())

# Per realisation: person-years, CVD events and deaths summed over time.
totals <- function(f, arm, n_time) {
  sapply(c("person_years", "cvd_events", "cvd_deaths"), function(name) {
    values <- read_values(f, sprintf("arms/%s/summary/%s", arm, name))
    colSums(matrix(values, nrow = n_time)) # [time, realisation] -> per realisation
  }, simplify = FALSE)
}

read_events <- function(f, arm) {
  list(person = read_values(f, sprintf("arms/%s/events/person", arm)),
       time = read_values(f, sprintf("arms/%s/events/time", arm)),
       kind = read_values(f, sprintf("arms/%s/events/kind", arm)))
}

# Conditions (index c from 0, kind 16 + 2c) named by the kind attributes.
conditions_of <- function(f, arm) {
  values <- as.numeric(h5attr(f[[sprintf("arms/%s/events/kind", arm)]], "flag_values"))
  (sort(values[values >= 16 & values %% 2 == 0]) - 16) / 2
}

# counts_as_cvd from the scenario text, with the R package yaml.
cardiovascular_conditions_from_yaml <- function(f) {
  scenario <- yaml::yaml.load(h5attr(f, "scenario_yaml"))
  conditions <- scenario$models$conditions
  flags <- vapply(conditions, function(condition) isTRUE(condition$counts_as_cvd), logical(1))
  which(flags) - 1
}

# Event kinds that count as cardiovascular events: 1, 2 and the onsets of the
# conditions whose counts make realisation 0's summary/cvd_events add up.
cardiovascular_kinds <- function(f, arms, events, arm_totals) {
  conditions <- conditions_of(f, arms[[1]])
  count <- function(arm, kinds) sum(events[[arm]]$kind %in% kinds)
  # Per arm: CVD events of the risk equation, and onsets of each condition [arm, condition].
  fixed <- vapply(arms, function(arm) count(arm, c(1, 2)), numeric(1))
  onsets <- vapply(conditions, function(c)
    vapply(arms, function(arm) count(arm, 16 + 2 * c), numeric(1)), numeric(length(arms)))
  onsets <- matrix(onsets, nrow = length(arms))
  target <- vapply(arms, function(arm) arm_totals[[arm]]$cvd_events[1], numeric(1))
  # Conditions that never start in any arm change nothing: leave them out.
  active <- which(colSums(onsets) > 0)
  fitting <- list()
  if (length(active) <= 16) {
    for (mask in seq_len(2^length(active)) - 1) {
      chosen <- active[bitwAnd(mask, 2^(seq_along(active) - 1)) > 0]
      if (all(fixed + rowSums(onsets[, chosen, drop = FALSE]) == target)) {
        fitting[[length(fitting) + 1]] <- conditions[chosen]
      }
    }
  }
  if (length(fitting) == 1) return(c(1, 2, 16 + 2 * fitting[[1]]))
  if (requireNamespace("yaml", quietly = TRUE)) {
    return(c(1, 2, 16 + 2 * cardiovascular_conditions_from_yaml(f)))
  }
  if (length(active) > 16) {
    stop("more than 16 conditions start in this run: too many choices to try; ",
         "install the R package yaml (apt-get install r-cran-yaml) to read the scenario",
         call. = FALSE)
  }
  if (length(fitting) == 0) {
    stop("the events table does not add up to summary/cvd_events for any choice of ",
         "conditions counting as cardiovascular: is the file complete?", call. = FALSE)
  }
  stop("several choices of conditions counting as cardiovascular fit the counts; ",
       "install the R package yaml (apt-get install r-cran-yaml) to read the scenario",
       call. = FALSE)
}

# Lifetime within the horizon and CVD events of every person (realisation 0).
per_person <- function(events, persons, horizon, cvd_kinds) {
  present <- unique(events$kind)
  death_kinds <- c(2, 3, present[present >= 17 & present %% 2 == 1])
  lifetime <- rep(horizon, persons)
  dead <- events$kind %in% death_kinds
  lifetime[events$person[dead] + 1] <- pmin(events$time[dead], horizon)
  cvd <- tabulate(events$person[events$kind %in% cvd_kinds] + 1, nbins = persons)
  list(lifetime = lifetime, cvd_events = as.numeric(cvd))
}

over_realisations <- function(values) {
  limits <- quantile(values, c(0.025, 0.975), type = 7, names = FALSE)
  list(mean = mean(values), lower95 = limits[1], upper95 = limits[2],
       mcse = sd(values) / sqrt(length(values)))
}

within_run <- function(value, per_person_difference) {
  se <- 1000 * sd(per_person_difference) / sqrt(length(per_person_difference))
  list(mean = value, lower95 = value - Z975 * se, upper95 = value + Z975 * se, mcse = se)
}

# 1,000 / events averted per 1,000; the interval inverts the averted one
# (Altman 1998), unbounded (NULL) when that reaches zero.
number_needed_to_treat <- function(averted) {
  invert <- function(x) if (!is.null(x) && x > 0) 1000 / x else NULL
  mean <- invert(averted$mean)
  list(mean = mean,
       lower95 = invert(averted$upper95),
       upper95 = invert(averted$lower95),
       mcse = if (is.null(mean)) NULL else 1000 * averted$mcse / averted$mean^2)
}

compare <- function(path) {
  f <- H5File$new(path, mode = "r")
  on.exit(f$close_all())
  arms <- strsplit(h5attr(f, "arms"), ",", fixed = TRUE)[[1]]
  baseline <- h5attr(f, "baseline_arm")
  persons <- as.numeric(h5attr(f, "n_persons"))
  time <- read_values(f, "time")
  arm_totals <- sapply(arms, function(arm) totals(f, arm, length(time)), simplify = FALSE)
  single <- as.numeric(h5attr(f, "realisations")) == 1
  if (single) {
    events <- sapply(arms, function(arm) read_events(f, arm), simplify = FALSE)
    kinds <- cardiovascular_kinds(f, arms, events, arm_totals)
    people <- sapply(arms, function(arm)
      per_person(events[[arm]], persons, time[length(time)], kinds), simplify = FALSE)
  }
  result <- list()
  for (arm in arms) {
    if (arm == baseline) next
    base <- arm_totals[[baseline]]
    this <- arm_totals[[arm]]
    averted <- 1000 * (base$cvd_events - this$cvd_events) / persons
    gained <- 1000 * (this$person_years - base$person_years) / persons
    if (single) {
      averted_stats <- within_run(
        averted[1], people[[baseline]]$cvd_events - people[[arm]]$cvd_events)
      gained_stats <- within_run(
        gained[1], people[[arm]]$lifetime - people[[baseline]]$lifetime)
    } else {
      averted_stats <- over_realisations(averted)
      gained_stats <- over_realisations(gained)
    }
    result[[arm]] <- list(events_averted_per_1000 = averted_stats,
                          life_years_gained_per_1000 = gained_stats,
                          nnt = number_needed_to_treat(averted_stats))
  }
  result
}

# JSON without a JSON package: 17 significant digits read back to the same double.
json_number <- function(x) {
  if (is.null(x) || !is.finite(x)) "null" else sprintf("%.17g", x)
}

json_string <- function(x) {
  x <- gsub("\\", "\\\\", x, fixed = TRUE)
  sprintf("\"%s\"", gsub("\"", "\\\"", x, fixed = TRUE))
}

print_json <- function(result) {
  statistics <- c("mean", "lower95", "upper95", "mcse")
  arm_texts <- vapply(names(result), function(arm) {
    measure_texts <- vapply(MEASURES, function(measure) {
      s <- result[[arm]][[measure]]
      fields <- vapply(statistics, function(key)
        sprintf("      %s: %s", json_string(key), json_number(s[[key]])), character(1))
      sprintf("    %s: {\n%s\n    }", json_string(measure), paste(fields, collapse = ",\n"))
    }, character(1))
    sprintf("  %s: {\n%s\n  }", json_string(arm), paste(measure_texts, collapse = ",\n"))
  }, character(1))
  if (length(arm_texts) == 0) cat("{}\n") else cat("{\n", paste(arm_texts, collapse = ",\n"), "\n}\n", sep = "")
}

print_text <- function(result) {
  for (arm in names(result)) {
    cat(arm, "\n", sep = "")
    for (measure in MEASURES) {
      s <- result[[arm]][[measure]]
      if (is.null(s$mean)) {
        cat(sprintf("  %28s: n/a\n", measure))
        next
      }
      upper <- if (is.null(s$upper95)) "unbounded" else sprintf("%.1f", s$upper95)
      cat(sprintf("  %28s: %8.1f  (95 %% %.1f to %s, MCSE %.2f)\n",
                  measure, s$mean, s$lower95, upper, s$mcse))
    }
  }
}

main <- function(args) {
  if (any(args %in% c("-h", "--help"))) {
    usage()
    return(invisible(0))
  }
  json <- "--json" %in% args
  paths <- args[args != "--json"]
  unknown <- paths[startsWith(paths, "-")]
  if (length(unknown) > 0 || length(paths) != 1) {
    usage()
    if (length(unknown) > 0) message("compare_arms.R: error: unrecognised arguments: ",
                                     paste(unknown, collapse = " "))
    quit(status = 2)
  }
  if (!file.exists(paths)) {
    message("compare_arms.R: error: ", paths, ": no such file")
    quit(status = 2)
  }
  result <- compare(paths)
  if (json) print_json(result) else print_text(result)
}

main(commandArgs(trailingOnly = TRUE))
