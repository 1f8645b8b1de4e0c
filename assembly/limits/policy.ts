// A configuration with every CEL expression compiled, built once in on_configure.
// Compile errors are reported at the JSON path the expression came from.

import { PluginConfig, LimitConfig, RateConfig, Expression, TokenKind, CostMode } from "../config";
import { compileWith, CompileOptions, Program } from "../cel";
import { CostWeights } from "../usage/cost";

/** One limit, ready to evaluate per request. */
export class CompiledLimit {
  name: string = "";
  rates: Array<RateConfig> = new Array<RateConfig>();
  when: Array<Program> = new Array<Program>();
  counters: Array<Program> = new Array<Program>();
  tokens: TokenKind = TokenKind.Total;
}

export class CompiledPolicy {
  config: PluginConfig;
  when: Array<Program> = new Array<Program>();
  limits: Array<CompiledLimit> = new Array<CompiledLimit>();
  /** `cost.expression`, compiled; null unless the cost mode is Expression. */
  cost: Program | null = null;
  /** `cost.weights` in the usage module's form; null unless the cost mode is Weights. */
  weights: CostWeights | null = null;
  /** One line per expression that does not compile: `<path>: invalid CEL ...`. */
  errors: Array<string> = new Array<string>();

  constructor(config: PluginConfig) {
    this.config = config;
  }
}

/**
 * Compiles every expression of `config`. `attributes` names what the request resolver
 * answers, so attribute paths bind at configure time. Never traps; check `errors`.
 */
export function compilePolicy(config: PluginConfig, attributes: CompileOptions): CompiledPolicy {
  const policy = new CompiledPolicy(config);
  compileAll(config.when, policy.when, policy.errors, attributes);
  for (let i = 0; i < config.limits.length; i++) {
    const src = unchecked(config.limits[i]);
    policy.limits.push(compileLimit(src, policy.errors, attributes));
  }
  if (config.cost.mode == CostMode.Weights) {
    const w = config.cost.weights;
    policy.weights = CostWeights.of(w.input, w.output, 0, w.cached, w.reasoning);
  }
  const cost = config.cost.expression;
  if (config.cost.mode == CostMode.Expression && cost !== null) {
    const usage = new CompileOptions();
    usage.knownNames = ["usage"];
    policy.cost = compileOne(cost, policy.errors, usage);
  }
  return policy;
}

function compileLimit(src: LimitConfig, errors: Array<string>, options: CompileOptions): CompiledLimit {
  const out = new CompiledLimit();
  out.name = src.name;
  out.rates = src.rates;
  out.tokens = src.tokens;
  compileAll(src.when, out.when, errors, options);
  compileAll(src.counters, out.counters, errors, options);
  return out;
}

function compileAll(sources: Array<Expression>, into: Array<Program>, errors: Array<string>, options: CompileOptions): void {
  for (let i = 0; i < sources.length; i++) {
    const p = compileOne(unchecked(sources[i]), errors, options);
    if (p !== null) into.push(p);
  }
}

function compileOne(e: Expression, errors: Array<string>, options: CompileOptions): Program | null {
  const r = compileWith(e.source, options);
  const program = r.program;
  if (program === null) {
    errors.push(e.path + ": invalid CEL at offset " + r.position.toString() + ": " + r.error + " in " + quote(e.source));
    return null;
  }
  return program;
}

function quote(s: string): string {
  return s.length > 200 ? "\"" + s.substring(0, 200) + "...\"" : "\"" + s + "\"";
}
