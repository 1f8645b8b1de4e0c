// Cost of evaluating a TokenRateLimitPolicy's CEL per request: the two predicates and
// the counter expression of the ticket, ours inside Wasm (loop inside Wasm, a resolver
// built per simulated request, as the filter does) vs @marcbachmann/cel-js in the same
// process (JS loop, a context object built per request), interleaved rounds, median.
// Prints `bench cel-eval: X.XXx @marcbachmann/cel-js` (our time / theirs).
//
// What is timed per request, on both sides: a fresh request-scoped container (our
// resolver with its empty per-request cache; their context object) over the request's
// attribute data, and the three evaluations. The attribute data itself (path, identity)
// is decoded once up front on both sides: producing it from the proxy is the attribute
// layer's cost, not CEL's, and either engine would pay it. The detail lines add our
// time with CompileOptions.knownNames, and both sides with the attribute values also
// constructed per request, for reference.
//   node scripts/build.mjs --only testing/cel && node --import tsx bench/run.ts cel

import { parse } from "@marcbachmann/cel-js";
import { CelModule } from "../test/cel/module.ts";

const EXPRESSIONS = [
  'request.path == "/v1/chat/completions"',
  'auth.identity.metadata.annotations["kuadrant.io/groups"].split(",").exists(g, g == "free")',
  "auth.identity.userid",
];
const PATH = "/v1/chat/completions";
const GROUPS = "paid,free,beta";
const USER = "user-7f3a9c";

const ROUNDS = 9;
const ITERATIONS = 20000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function run(): Promise<string[]> {
  const cel = new CelModule();
  const err = cel.benchSetup(EXPRESSIONS, PATH, GROUPS, USER, false);
  if (err !== "") throw new Error("compile: " + err);
  // the same programs compiled with the resolver's attribute names declared
  const celKnown = new CelModule();
  const errKnown = celKnown.benchSetup(EXPRESSIONS, PATH, GROUPS, USER, true);
  if (errKnown !== "") throw new Error("compile: " + errKnown);
  const theirs = EXPRESSIONS.map((e) => parse(e));

  // Same inputs, same answers: both must agree before timing means anything.
  const request = { path: PATH };
  const auth = { identity: { userid: USER, metadata: { annotations: { "kuadrant.io/groups": GROUPS } } } };
  const ctx = (): Record<string, unknown> => ({ request, auth });
  const ctxBuilt = (): Record<string, unknown> => ({
    request: { path: PATH },
    auth: { identity: { userid: USER, metadata: { annotations: { "kuadrant.io/groups": GROUPS } } } },
  });
  const theirResults = theirs.map((f) => f(ctx()));
  if (theirResults[0] !== true || theirResults[1] !== true || theirResults[2] !== USER) {
    throw new Error("cel-js disagrees on the inputs: " + JSON.stringify(theirResults));
  }
  const expectedSum = 2 + USER.length;
  if (cel.benchRun(1) !== expectedSum || celKnown.benchRun(1) !== expectedSum) {
    throw new Error("our results differ from cel-js on the inputs");
  }

  let sink = 0;
  const runTheirs = (n: number, build = false): void => {
    for (let i = 0; i < n; i++) {
      const c = build ? ctxBuilt() : ctx();
      for (let k = 0; k < theirs.length; k++) {
        const v = theirs[k](c);
        sink += v === true ? 1 : typeof v === "string" ? v.length : 0;
      }
    }
  };
  // warm up both (JIT tiers, Wasm tier-up)
  cel.benchRun(ITERATIONS);
  celKnown.benchRun(ITERATIONS);
  runTheirs(ITERATIONS);

  const time = (f: () => void): number => {
    const t = process.hrtime.bigint();
    f();
    return Number(process.hrtime.bigint() - t) / ITERATIONS;
  };
  const ours: number[] = [], js: number[] = [], oursBuilt: number[] = [], jsBuilt: number[] = [], known: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(time(() => { sink += cel.benchRun(ITERATIONS); }));
    known.push(time(() => { sink += celKnown.benchRun(ITERATIONS); }));
    js.push(time(() => runTheirs(ITERATIONS)));
    oursBuilt.push(time(() => { sink += cel.benchRunSome(ITERATIONS, -1, true); }));
    jsBuilt.push(time(() => runTheirs(ITERATIONS, true)));
  }
  if (sink === 0) throw new Error("unreachable");
  const a = median(ours), b = median(js), c = median(oursBuilt), d = median(jsBuilt), k = median(known);
  return [
    `bench cel-eval: ${(a / b).toFixed(2)}x @marcbachmann/cel-js`,
    `  per request (3 expressions): ours ${a.toFixed(0)} ns, @marcbachmann/cel-js ${b.toFixed(0)} ns;` +
      ` ours with CompileOptions.knownNames ${k.toFixed(0)} ns (${(k / b).toFixed(2)}x)`,
    `  with attribute values also built per request: ours ${c.toFixed(0)} ns, theirs ${d.toFixed(0)} ns (${(c / d).toFixed(2)}x)`,
  ];
}
