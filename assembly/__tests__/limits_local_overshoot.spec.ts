// How far past its limit a counter can be driven by requests in flight at once.
// README.md (assembly/limits) states the bound these tests hold the limiter to.
import { LocalLimiter } from "../limits/local_limiter";
import { MemoryCounters } from "../counters/memory";
import { CounterHandle, CounterSpec, Decision, AdmissionMode } from "../limits/decision";
import { MIN, T0, PREFIX, stored } from "../limits/testing/limiter_fixtures";

const LIMIT: i64 = 1000;

function spec(): CounterSpec {
  return new CounterSpec("per-user", 0, LIMIT, MIN, ["alice"]);
}

function used(store: MemoryCounters): i64 {
  return stored(store, spec()).used;
}

class Outcome {
  admitted: i32 = 0;
  overshoot: i64 = 0;
}

/**
 * `n` requests admitted at once (none settles before all are decided) against a counter
 * with `left` tokens of LIMIT left; each then uses `cost` tokens.
 */
function burst(mode: i32, n: i32, left: i64, estimate: i64, cost: i64): Outcome {
  const store = new MemoryCounters();
  const l = new LocalLimiter(store, PREFIX);
  l.settle(l.admit([spec()], T0, AdmissionMode.Check, 0).handles, [LIMIT - left], T0);
  const inFlight = new Array<Decision>(0);
  for (let i = 0; i < n; i++) {
    const d = l.admit([spec()], T0 + 1, mode, estimate);
    if (d.admitted) inFlight.push(d);
  }
  for (let i = 0; i < inFlight.length; i++) l.settle(inFlight[i].handles, [cost], T0 + 2);
  const o = new Outcome();
  o.admitted = inFlight.length;
  o.overshoot = used(store) - LIMIT;
  return o;
}

function report(label: string, o: Outcome): void {
  log<string>(label + ": admitted " + o.admitted.toString() + ", overshoot " + o.overshoot.toString());
}

describe("overshoot of 50 concurrent requests against 100 tokens left", () => {
  it("stays below one request's cost in reserve mode when the estimate covers the cost", () => {
    const o = burst(AdmissionMode.Reserve, 50, 100, 30, 30);
    report("reserve K=30 estimate=30", o);
    expect(o.admitted).toBe(4);
    expect(o.overshoot).toBe(20);
    expect(o.overshoot).toBeLessThanOrEqual(30 - 1);
  });
  it("grows with the number of requests in check mode", () => {
    const o = burst(AdmissionMode.Check, 50, 100, 30, 30);
    report("check   K=30", o);
    expect(o.admitted).toBe(50);
    expect(o.overshoot).toBe(50 * 30 - 100);
  });
  it("stays below one request's cost in reserve mode for small requests too", () => {
    const o = burst(AdmissionMode.Reserve, 50, 100, 7, 7);
    report("reserve K=7 estimate=7", o);
    expect(o.overshoot).toBeLessThanOrEqual(7 - 1);
    const c = burst(AdmissionMode.Check, 50, 100, 7, 7);
    report("check   K=7", c);
    expect(c.overshoot).toBe(50 * 7 - 100);
  });
  it("adds each admitted request's underestimate when the estimate is too low", () => {
    const o = burst(AdmissionMode.Reserve, 50, 100, 15, 30);
    report("reserve K=30 estimate=15", o);
    // last request's cost - 1, plus (cost - estimate) of each other request in flight
    expect(o.overshoot).toBeLessThanOrEqual(30 - 1 + <i64>(o.admitted - 1) * (30 - 15));
    expect(o.overshoot).toBeLessThan(burst(AdmissionMode.Check, 50, 100, 15, 30).overshoot);
  });
  it("degrades to check mode with a zero estimate", () => {
    expect(burst(AdmissionMode.Reserve, 50, 100, 0, 30).overshoot).toBe(50 * 30 - 100);
  });
});

/** Deterministic pseudo-random numbers (LCG), so the interleaving is the same every run. */
class Rng {
  constructor(public state: u64) {}
  below(n: i64): i64 {
    this.state = this.state * 6364136223846793005 + 1442695040888963407;
    return <i64>((this.state >> 33) % <u64>n);
  }
}

class Flight {
  constructor(public handles: CounterHandle[], public estimate: i64, public cost: i64) {}
}

/**
 * Random admissions and settlements in one window; returns the largest observed
 * `used - bound`, where bound = LIMIT - 1 + cost of the last admitted request + the sum of
 * (cost - estimate) over the requests in flight when it was admitted. <= 0 means the
 * documented bound held.
 */
function randomWindow(seed: u64, underestimate: bool): i64 {
  const rng = new Rng(seed);
  const store = new MemoryCounters();
  const l = new LocalLimiter(store, PREFIX);
  const flights = new Array<Flight>(0);
  let bound: i64 = LIMIT;
  for (let step = 0; step < 400; step++) {
    if (flights.length == 0 || rng.below(10) < 6) {
      const estimate = 1 + rng.below(200);
      const cost = underestimate ? rng.below(2 * estimate) : rng.below(estimate + 1);
      const d = l.admit([spec()], T0 + <i64>step, AdmissionMode.Reserve, estimate);
      if (d.admitted) {
        let excess: i64 = 0;
        for (let i = 0; i < flights.length; i++) {
          const f = flights[i];
          if (f.cost > f.estimate) excess += f.cost - f.estimate;
        }
        bound = LIMIT - 1 + cost + excess;
        flights.push(new Flight(d.handles, estimate, cost));
      }
    } else {
      const i = <i32>rng.below(flights.length);
      const f = flights[i];
      l.settle(f.handles, [f.cost], T0 + <i64>step);
      flights[i] = flights[flights.length - 1];
      flights.pop();
    }
  }
  for (let i = 0; i < flights.length; i++) l.settle(flights[i].handles, [flights[i].cost], T0 + 500);
  const u = used(store);
  return u > LIMIT ? u - bound : 0;
}

describe("overshoot bound under random interleavings", () => {
  it("holds when estimates cover costs (50 seeds)", () => {
    for (let seed: u64 = 1; seed <= 50; seed++) {
      expect(randomWindow(seed, false)).toBeLessThanOrEqual(0, "seed " + seed.toString());
    }
  });
  it("holds with underestimates, counting the excess of requests in flight (50 seeds)", () => {
    for (let seed: u64 = 1; seed <= 50; seed++) {
      expect(randomWindow(seed, true)).toBeLessThanOrEqual(0, "seed " + seed.toString());
    }
  });
});
