#!/usr/bin/env python3
"""Time MAPIT's core statistics on the shared dataset and record its results.

MAPIT (Sandia, GPL-3.0) is imported from a checkout OUTSIDE this repository,
given by --mapit or the MAPIT_SRC environment variable; none of its code is
copied here. The functions are called directly on arrays, one call per step,
exactly as MAPIT's own MBArea class chains them, with progress bars off:

  error simulation  Preprocessing.SimErrors, once each for inputs, inventories, outputs
  MUF               StatsTests.MUF
  sigma MUF         StatsTests.SEMUF
  covariance        AuxFunctions.calcCovMat
  SITMUF            StatsTests.SITMUF
  Page              StatsTests.PageTrendTest (k = 0.5) on the SITMUF sequence

Single-threaded: OMP/OPENBLAS/MKL thread counts are forced to 1 before numpy
is imported. Each iteration count is timed over several repetitions; the JSON
holds every time and the medians.

The JSON also records MAPIT's outputs for exact comparison by the Custodian
bench (crates/custodian-accountancy/benches/mapit_peer.rs):
- "cases": MAPIT run deterministically (one iteration, float64) on the true
  values and on one simulated measurement of them (written out hourly, so
  Custodian evaluates the very same numbers);
- "page_isolated": PageTrendTest on fixed inputs (the first-step check);
- "simulation_statistics": mean and variance of MAPIT's simulated MUF per
  balance, pooled over the repetitions;
- "scaling" (with --scaling): calcCovMat time against the number of balances.

Usage:
  MAPIT_SRC=/tmp/mapit python bench/mapit/run_mapit.py \
      [--dataset target/mapit/dataset.json] [--out target/mapit/mapit_results.json] \
      [--iterations 100 1000] [--repeats 5 3] [--scaling]
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402

import numpy as np  # noqa: E402

STEPS = ["simulation", "muf", "sigma_muf", "covariance", "sitmuf", "page"]
PAGE_K = 0.5


def import_mapit(path):
    """Import MAPIT.core from a checkout. StatsTests imports PySide6 at the top
    only to show a GUI message box when a Cholesky fails; without the GUI
    toolkit installed a bare stand-in module is registered instead (the GUI
    path is never taken: no GUIObject is passed)."""
    if not os.path.isdir(os.path.join(path, "MAPIT", "core")):
        raise SystemExit(f"{path}: not a MAPIT checkout (no MAPIT/core); set MAPIT_SRC or --mapit")
    sys.path.insert(0, path)
    try:
        import PySide6  # noqa: F401
    except ImportError:
        stub = types.ModuleType("PySide6")
        stub.QtWidgets = types.ModuleType("PySide6.QtWidgets")
        sys.modules["PySide6"] = stub
        sys.modules["PySide6.QtWidgets"] = stub.QtWidgets
    from MAPIT.core import AuxFunctions, Preprocessing, StatsTests

    return Preprocessing, StatsTests, AuxFunctions


def mapit_commit(path):
    if os.environ.get("MAPIT_COMMIT"):
        return os.environ["MAPIT_COMMIT"]
    try:
        out = subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (set MAPIT_COMMIT)"


class Facility:
    """The dataset in MAPIT's input layout: per location a [samples, 1] array of
    values and one of times; error matrices [locations, 2] (random, systematic)."""

    def __init__(self, dataset):
        hours = dataset["hours"]
        self.mbp = int(dataset["balance_period_hours"])
        flow_times = (np.arange(hours, dtype=np.float64) + 0.5).reshape((-1, 1))
        inventory_times = np.arange(hours + 1, dtype=np.float64).reshape((-1, 1))

        def group(name, times):
            streams = dataset[name]
            values = [np.asarray(s["hourly"], dtype=np.float64).reshape((-1, 1)) for s in streams]
            errors = np.array([[s["rsd_random"], s["rsd_systematic"]] for s in streams])
            return values, [times] * len(streams), errors

        self.inputs, self.input_times, self.input_errors = group("inputs", flow_times)
        self.inventories, self.inventory_times, self.inventory_errors = group("inventories", inventory_times)
        self.outputs, self.output_times, self.output_errors = group("outputs", flow_times)
        self.total_errors = np.vstack((self.input_errors, self.inventory_errors, self.output_errors))
        self.input_types = ["discrete"] * len(self.inputs)
        self.output_types = ["discrete"] * len(self.outputs)
        self.balances_total = int(np.ceil(np.round(float(hours)) / self.mbp))  # MAPIT's "MBPs"


def run_steps(mapit, facility, applied, timings=None):
    """Runs MUF, SEMUF, calcCovMat, SITMUF and Page on applied (measured) values
    [inputs, inventories, outputs], each a list of [iterations, samples] arrays.
    Returns the five outputs; adds each step's seconds to `timings` if given."""
    _, tests, aux = mapit
    f = facility
    common = dict(
        inputAppliedError=applied[0],
        processedInputTimes=f.input_times,
        inventoryAppliedError=applied[1],
        processedInventoryTimes=f.inventory_times,
        outputAppliedError=applied[2],
        processedOutputTimes=f.output_times,
        MBP=f.mbp,
        inputTypes=f.input_types,
        outputTypes=f.output_types,
        doPbar=False,
    )

    def timed(step, call):
        start = time.perf_counter()
        result = call()
        if timings is not None:
            timings[step] = time.perf_counter() - start
        return result

    muf = timed("muf", lambda: tests.MUF(**common))
    semuf = timed("sigma_muf", lambda: tests.SEMUF(ErrorMatrix=f.total_errors, **common)[0])
    covariance = timed("covariance", lambda: aux.calcCovMat(ErrorMatrix=f.total_errors, **common))
    sitmuf = timed("sitmuf", lambda: tests.SITMUF(muf, covariance, f.mbp, doPbar=False))
    if sitmuf is None:
        raise SystemExit("MAPIT SITMUF: Cholesky decomposition failed")
    page = timed(
        "page", lambda: tests.PageTrendTest(sitmuf, f.mbp, f.balances_total, K=PAGE_K, doPbar=False)
    )
    return muf, semuf, covariance, sitmuf, page


def simulate(mapit, facility, iterations):
    """MAPIT's error simulation, as MBArea.calcErrors calls it (no calibration
    periods: one systematic error per location per iteration)."""
    pre = mapit[0]
    f = facility
    return [
        pre.SimErrors(rawData=values, ErrorMatrix=errors, iterations=iterations, doTQDM=False)
        for values, errors in (
            (f.inputs, f.input_errors),
            (f.inventories, f.inventory_errors),
            (f.outputs, f.output_errors),
        )
    ]


def blocks(array, mbp, count):
    """The value of each MBP-long block (MAPIT holds one value per block)."""
    return [float(array[b * mbp]) for b in range(count)]


def deterministic_case(mapit, facility, values):
    """MAPIT on one set of values (one iteration, float64). Block b of MUF and
    SEMUF is balance b (block 0 is MAPIT's always-empty first block); the
    covariance is MAPIT's full matrix; SITMUF and Page blocks as MAPIT lays them."""
    f = facility
    applied = [[v.reshape((1, -1)).astype(np.float64) for v in group] for group in values]
    muf, semuf, covariance, sitmuf, page = run_steps(mapit, f, applied)
    n = f.balances_total
    return {
        "muf_blocks": blocks(muf[0], f.mbp, n),
        "sigma_muf_blocks": blocks(semuf[0], f.mbp, n),
        "covariance": covariance[0].tolist(),
        "sitmuf_blocks": blocks(sitmuf[0], f.mbp, sitmuf.shape[1] // f.mbp),
        "page_blocks": blocks(page[0], f.mbp, page.shape[1] // f.mbp),
    }


def page_isolated(mapit, inputs):
    """PageTrendTest on given sequences, one value per block (MBP = 1)."""
    tests = mapit[1]
    out = []
    for y in inputs:
        arr = np.asarray(y, dtype=np.float64).reshape((1, -1))
        result = tests.PageTrendTest(arr, 1, len(y) + 1, K=PAGE_K, doPbar=False)
        out.append({"input": list(map(float, y)), "mapit": result[0].tolist()})
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mapit", default=os.environ.get("MAPIT_SRC"), help="MAPIT checkout (default $MAPIT_SRC)")
    parser.add_argument("--dataset", default=os.path.join("target", "mapit", "dataset.json"))
    parser.add_argument("--out", default=os.path.join("target", "mapit", "mapit_results.json"))
    parser.add_argument("--iterations", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeats", type=int, nargs="+", default=[5, 3], help="one per --iterations value")
    parser.add_argument("--seed", type=int, default=1, help="numpy legacy global seed of repetition 0")
    parser.add_argument("--scaling", action="store_true", help="also time calcCovMat at 14, 29, 59, 119 balances")
    args = parser.parse_args()
    if not args.mapit:
        raise SystemExit("set MAPIT_SRC or --mapit to a MAPIT checkout outside this repository")
    if len(args.repeats) != len(args.iterations):
        raise SystemExit("--repeats needs one value per --iterations value")
    if min(args.iterations) <= 10:
        # MAPIT's SimErrors fails (UnboundLocalError) at <= batchSize iterations
        # with its progress bar on; we keep the same floor (accountancy.md §9.6).
        raise SystemExit("use at least 11 iterations")

    mapit = import_mapit(os.path.abspath(args.mapit))
    with open(args.dataset, "rb") as fh:
        raw = fh.read()
    dataset = json.loads(raw)
    facility = Facility(dataset)
    results = {
        "tool": "MAPIT",
        "mapit_commit": mapit_commit(args.mapit),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "threads": {v: os.environ[v] for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        "dataset_sha256": hashlib.sha256(raw).hexdigest(),
        # Exact in double precision (every value is a multiple of 2^-10 kg), so
        # the Custodian bench recomputes it bit for bit to check it read the
        # same dataset.
        "dataset_total_kg": math.fsum(
            x for group in ("inputs", "inventories", "outputs") for s in dataset[group] for x in s["hourly"]
        ),
        "balance_period_hours": facility.mbp,
        "mapit_balance_blocks": facility.balances_total,
        "page_k": PAGE_K,
    }

    # Deterministic runs: the true values, and one simulated measurement.
    truth = [facility.inputs, facility.inventories, facility.outputs]
    np.random.seed(args.seed + 10_000)
    sample = simulate(mapit, facility, 11)  # >= 11 iterations, see above; keep the first
    measured = [[a[0].astype(np.float64).reshape((-1, 1)) for a in group] for group in sample]
    cases = {"truth": deterministic_case(mapit, facility, truth)}
    cases["measured"] = deterministic_case(mapit, facility, measured)
    cases["measured"]["hourly"] = {
        name: [m[:, 0].tolist() for m in group]
        for name, group in zip(("inputs", "inventories", "outputs"), measured)
    }
    # The same measurement through MAPIT's own float32 storage: how far its
    # MUF moves from the float64 sum of the same values.
    muf32 = mapit[1].MUF(
        sample[0], facility.input_times, sample[1], facility.inventory_times, sample[2],
        facility.output_times, facility.mbp, facility.input_types, facility.output_types, doPbar=False,
    )
    cases["measured"]["muf_blocks_float32_storage"] = blocks(muf32[0], facility.mbp, facility.balances_total)
    results["cases"] = cases
    # The reference's example (accountancy.md §9 item 3), and MAPIT's own SITMUF
    # of the measured case without its always-zero block 0.
    sitmuf_tail = cases["measured"]["sitmuf_blocks"][1:]
    results["page_isolated"] = page_isolated(mapit, [[1.0, 0.2, 1.5, -0.3, 0.9], sitmuf_tail])
    del sample, measured
    gc.collect()

    timings = {}
    stats = {}
    for iterations, repeats in zip(args.iterations, args.repeats):
        runs = []
        muf_pool = []
        for rep in range(repeats):
            np.random.seed(args.seed + rep)
            gc.collect()
            step_times = {}
            start = time.perf_counter()
            applied = simulate(mapit, facility, iterations)
            step_times["simulation"] = time.perf_counter() - start
            muf, semuf, _, sitmuf, _ = run_steps(mapit, facility, applied, step_times)
            step_times["total"] = sum(step_times[s] for s in STEPS)
            runs.append(step_times)
            muf_pool.append(muf[:, :: facility.mbp].astype(np.float64))
            print(
                f"MAPIT {iterations} iterations, repetition {rep + 1}/{repeats}: "
                + ", ".join(f"{s} {step_times[s]:.3f} s" for s in STEPS + ["total"]),
                flush=True,
            )
            del applied, muf, semuf, sitmuf
        pooled = np.vstack(muf_pool)
        timings[str(iterations)] = {
            "repeats": repeats,
            "runs": runs,
            "median_seconds": {s: statistics.median(r[s] for r in runs) for s in STEPS + ["total"]},
        }
        stats[str(iterations)] = {
            "samples": int(pooled.shape[0]),
            "muf_mean_blocks": pooled.mean(axis=0).tolist(),
            "muf_variance_blocks": pooled.var(axis=0, ddof=1).tolist(),
        }
        del pooled, muf_pool
    results["timings"] = timings
    results["simulation_statistics"] = stats

    if args.scaling:
        scaling = []
        for mbp in (584, 292, 146, 73):
            f = Facility(dict(dataset, balance_period_hours=mbp))
            applied = [[v.reshape((1, -1)) for v in group] for group in truth]
            start = time.perf_counter()
            mapit[2].calcCovMat(
                applied[0], applied[1], applied[2], f.input_times, f.inventory_times, f.output_times,
                f.total_errors, f.mbp, f.input_types, f.output_types, doPbar=False,
            )
            seconds = time.perf_counter() - start
            scaling.append({"mbp_hours": mbp, "balances": f.balances_total - 1, "iterations": 1, "seconds": seconds})
            print(f"MAPIT calcCovMat, {f.balances_total - 1} balances, 1 iteration: {seconds:.2f} s", flush=True)
        results["scaling"] = scaling

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(results, fh)
        fh.write("\n")
    summary = {k: v["median_seconds"] for k, v in timings.items()}
    print(json.dumps({"out": args.out, "median_seconds": summary}, indent=1))


if __name__ == "__main__":
    main()
