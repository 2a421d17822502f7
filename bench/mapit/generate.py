#!/usr/bin/env python3
"""Write the synthetic bulk-facility dataset that Custodian and MAPIT both read.

A fuel-fabrication-like line with 30 measurement locations (8 inputs, 14
inventories, 8 outputs), one year of hourly data (8,760 hours), evaluated in
15 material balance periods of 584 h. The true values carry a protracted loss
(material leaves the buffer store unrecorded) from balance 9 on, so MUF,
SITMUF and Page's test are not trivially zero.

Design choices that make exact comparison possible:

- Every value is a whole multiple of 2^-10 kg (about 1 g). Period sums of such
  values are exact in double precision in any order, so both tools compute
  bit-identical MUF from the same values; JSON decimals round-trip exactly.
- Flow samples are stamped at h + 0.5 (the flow during hour h); inventories at
  whole hours 0..8760. MAPIT sums a "discrete" flow over the closed interval
  [MBP*(i-1), MBP*i], so a sample on a boundary would be counted in two
  balances; half-hour stamps keep every sample in exactly one.
- The year's true values are balanced to the gram: sum(inputs) - sum(outputs)
  - (change in inventory) is exactly the loss, hour by hour.

RSDs are chosen so that no simulated period total can plausibly come out
negative (Custodian refuses negative amounts; MAPIT accepts them): the
noisiest small streams stay more than 8 standard deviations from zero.

Standard library plus numpy only. The output is deterministic for a given
seed and numpy version; the SHA-256 printed at the end identifies it.

Usage: python3 bench/mapit/generate.py [--out target/mapit/dataset.json] [--seed 20261124]
"""

import argparse
import hashlib
import json
import math
import os

import numpy as np

HOURS = 8760
BALANCE_PERIOD_HOURS = 584  # 15 balances per year
QUANTUM = 1024  # values are integers in units of 1/1024 kg
LOSS_START_HOUR = 8 * BALANCE_PERIOD_HOURS  # balance 9 (1-based) onwards
LOSS_UNITS_PER_HOUR = 256  # 0.25 kg/h, 146 kg per balance

# name, mean kg per hour, kind, (rsd_random, rsd_systematic)
# kind: "line" = continuous with noise and outages; ("batch", every_h, kg) = one
# transfer every `every_h` hours.
INPUTS = [
    ("UF6 feed line A", 32.0, "line", (0.003, 0.0015)),
    ("UF6 feed line B", 28.0, "line", (0.003, 0.0015)),
    ("UF6 feed line C", 22.0, "line", (0.004, 0.002)),
    ("UF6 feed line D", 18.0, "line", (0.004, 0.002)),
    ("scrap recycle, dry", None, ("batch", 8, 60.0), (0.02, 0.01)),
    ("scrap recycle, wet", None, ("batch", 12, 30.0), (0.05, 0.02)),
    ("powder receipts", None, ("batch", 24, 600.0), (0.001, 0.0005)),
    ("returned rejects", 0.8, "line", (0.08, 0.03)),
]
OUTPUTS = [
    ("pellet line 1", 0.33, "line", (0.002, 0.001)),
    ("pellet line 2", 0.29, "line", (0.002, 0.001)),
    ("pellet line 3", 0.24, "line", (0.002, 0.001)),
    ("product powder drums", 0.07, ("batch", 6), (0.002, 0.001)),
    ("liquid waste", 0.012, "line", (0.15, 0.10)),
    ("solid waste", 0.008, ("batch", 24), (0.15, 0.08)),
    ("off-gas filters", 0.002, ("batch", 168), (0.10, 0.05)),
    ("shipments", 0.048, ("batch", 48), (0.001, 0.0005)),
]
# name, mean level kg, relative swing, swing period h, (rsd_random, rsd_systematic)
VESSELS = [
    ("conversion reactor 1", 900.0, 0.25, 37.0, (0.01, 0.005)),
    ("conversion reactor 2", 850.0, 0.25, 41.0, (0.01, 0.005)),
    ("conversion reactor 3", 800.0, 0.25, 43.0, (0.01, 0.005)),
    ("powder hopper 1", 1500.0, 0.30, 29.0, (0.005, 0.003)),
    ("powder hopper 2", 1400.0, 0.30, 31.0, (0.005, 0.003)),
    ("powder hopper 3", 1300.0, 0.30, 23.0, (0.005, 0.003)),
    ("blender 1", 2000.0, 0.40, 19.0, (0.004, 0.002)),
    ("blender 2", 2000.0, 0.40, 17.0, (0.004, 0.002)),
    ("press feed", 600.0, 0.20, 11.0, (0.006, 0.003)),
    ("sinter furnace 1", 1100.0, 0.15, 53.0, (0.008, 0.004)),
    ("sinter furnace 2", 1100.0, 0.15, 59.0, (0.008, 0.004)),
    ("scrap store", 3000.0, 0.20, 500.0, (0.02, 0.01)),
    ("pellet store", 5000.0, 0.30, 700.0, (0.002, 0.001)),
]
BUFFER = ("UF6 cylinder store", (0.001, 0.0005))  # absorbs the balance
BUFFER_TARGET_KG = 40000.0


def units(x):
    """Round kg to whole 1/1024 kg units (non-negative)."""
    return np.maximum(np.rint(np.asarray(x) * QUANTUM), 0).astype(np.int64)


def line(rng, mean, hours):
    """A continuous line: AR(1) wander around the mean and two 48 h outages."""
    noise = np.empty(hours)
    state = 0.0
    shocks = rng.normal(0.0, 0.04, hours)
    for h in range(hours):
        state = 0.95 * state + shocks[h]
        noise[h] = state
    rate = mean * (1.0 + noise)
    for start in rng.integers(0, hours - 48, size=2):
        rate[start : start + 48] = 0.0
    return np.maximum(rate, 0.0)


def batches(rng, every, size, hours, phase):
    """One transfer of about `size` kg every `every` hours."""
    rate = np.zeros(hours)
    rate[phase::every] = size * (1.0 + rng.normal(0.0, 0.03, len(rate[phase::every])))
    return rate


def generate(seed):
    rng = np.random.default_rng(seed)
    hours = HOURS

    inputs = []
    for index, (name, mean, kind, rsd) in enumerate(INPUTS):
        if kind == "line":
            rate = line(rng, mean, hours)
        else:
            _, every, size = kind
            rate = batches(rng, every, size, hours, phase=(3 * index) % every)
        inputs.append((name, units(rate), rsd))
    total_in = sum(u for _, u, _ in inputs)

    # Outputs follow the input total with a 6 h lag, split by fixed shares;
    # pellet line 1 also corrects slowly towards the buffer target so the
    # buffer never runs dry.
    lagged = np.concatenate([np.full(6, total_in[:6].mean()), total_in[:-6]]) / QUANTUM
    smoothed = np.convolve(lagged, np.ones(24) / 24.0, mode="same")
    shares = {}
    for index, (name, share, kind, rsd) in enumerate(OUTPUTS):
        if kind == "line":
            rate = share * smoothed * (1.0 + rng.normal(0.0, 0.02, hours))
        else:
            _, every = kind
            rate = np.zeros(hours)
            phase = (5 * index) % every
            for start in range(phase, hours, every):
                rate[start] = share * smoothed[max(0, start - every + 1) : start + 1].sum()
        shares[name] = (units(rate), rsd)

    vessels = []
    t = np.arange(hours + 1)
    for name, level, swing, period, rsd in VESSELS:
        phase = rng.uniform(0.0, 2.0 * math.pi)
        jitter = rng.normal(0.0, 0.02, hours + 1)
        values = level * (1.0 + swing * np.sin(2.0 * math.pi * t / period + phase) + jitter)
        vessels.append((name, units(values), rsd))
    vessel_total = sum(u for _, u, _ in vessels)

    loss = np.zeros(hours, dtype=np.int64)
    loss[LOSS_START_HOUR:] = LOSS_UNITS_PER_HOUR

    # Walk the year hour by hour: total inventory S(h+1) = S(h) + in - out - loss;
    # the buffer holds S minus the vessels. Pellet line 1 is adjusted by 1 % of
    # the buffer's distance from its target (a plant that keeps stock level).
    target = int(BUFFER_TARGET_KG * QUANTUM)
    pellet1, rsd1 = shares["pellet line 1"]
    pellet1 = pellet1.copy()
    other_out = sum(u for name, (u, _) in shares.items() if name != "pellet line 1")
    buffer = np.empty(hours + 1, dtype=np.int64)
    buffer[0] = target
    for h in range(hours):
        correction = int(0.01 * (buffer[h] - target))
        pellet1[h] = max(pellet1[h] + correction, 0)
        total = vessel_total[h] + buffer[h]
        total_next = total + total_in[h] - other_out[h] - pellet1[h] - loss[h]
        buffer[h + 1] = total_next - vessel_total[h + 1]
        if buffer[h + 1] < 0:
            raise SystemExit(f"buffer ran dry at hour {h + 1}; change the seed")
    shares["pellet line 1"] = (pellet1, rsd1)

    outputs = [(name, shares[name][0], shares[name][1]) for name, *_ in OUTPUTS]
    inventories = vessels + [(BUFFER[0], buffer, BUFFER[1])]

    # The check every consumer relies on: the true balance closes to the unit.
    total_out = sum(u for _, u, _ in outputs)
    inventory_total = sum(u for _, u, _ in inventories)
    closing = total_in - total_out - np.diff(inventory_total)
    assert np.array_equal(closing, loss), "true balance does not close"

    def stream(name, values, rsd):
        return {
            "name": name,
            "rsd_random": rsd[0],
            "rsd_systematic": rsd[1],
            "hourly": [int(v) / QUANTUM for v in values],
        }

    return {
        "description": (
            "Synthetic bulk facility for the Custodian/MAPIT peer benchmark: "
            "30 locations, one year of hourly true values in kg U, 15 balances of 584 h, "
            "a protracted loss of 0.25 kg/h from hour 4672 (balance 9)."
        ),
        "generator": "bench/mapit/generate.py",
        "seed": seed,
        "numpy": np.__version__,
        "unit": "kg U",
        "hours": hours,
        "balance_period_hours": BALANCE_PERIOD_HOURS,
        "flow_sample_times": "hour h + 0.5 for h = 0..hours-1 (the amount moved during hour h)",
        "inventory_sample_times": "hour t for t = 0..hours (the level at the start of hour t)",
        "loss": {"start_hour": LOSS_START_HOUR, "kg_per_hour": LOSS_UNITS_PER_HOUR / QUANTUM},
        "inputs": [stream(*s) for s in inputs],
        "outputs": [stream(*s) for s in outputs],
        "inventories": [stream(*s) for s in inventories],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join("target", "mapit", "dataset.json"))
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args()

    dataset = generate(args.seed)
    text = json.dumps(dataset, separators=(",", ":")) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    counts = (len(dataset["inputs"]), len(dataset["inventories"]), len(dataset["outputs"]))
    print(f"wrote {args.out}: {counts[0]} inputs, {counts[1]} inventories, {counts[2]} outputs, "
          f"{HOURS} hours, sha256 {digest}")


if __name__ == "__main__":
    main()
