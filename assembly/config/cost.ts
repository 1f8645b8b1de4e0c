// `cost`: how a response's usage turns into the number charged to the counters. By
// default the total tokens; or a weighted sum of token kinds; or a CEL expression.

import { Value } from "../cel/value";
import { pathKey } from "../json/path";
import { ConfigReader } from "./reader";
import { Expression, readExpression } from "./limits";

export enum CostMode { Total = 0, Weights = 1, Expression = 2 }

/** Weights per token kind; cost = ceil(input*wi + output*wo + cached*wc + reasoning*wr). */
export class CostWeights {
  input: f64 = 1;
  output: f64 = 1;
  cached: f64 = 0;
  reasoning: f64 = 0;
}

export class CostConfig {
  mode: CostMode = CostMode.Total;
  /** Meaningful when mode is Weights (kinds not given keep the defaults above). */
  weights: CostWeights = new CostWeights();
  /** Set when mode is Expression; path `cost.expression`. */
  expression: Expression | null = null;
}

/** Largest weight accepted: a bigger one is a unit mistake, and keeps sums far from overflow. */
export const MAX_COST_WEIGHT: f64 = 1000000;

const COST_FIELDS: Array<string> = ["weights", "expression"];
const WEIGHT_FIELDS: Array<string> = ["input", "output", "cached", "reasoning"];

/** Reads `cost` (absent: total tokens). */
export function readCost(r: ConfigReader, v: Value | null, path: string): CostConfig {
  const out = new CostConfig();
  if (v === null) return out;
  const obj = r.object(v, path, COST_FIELDS);
  if (obj === null) return out;
  const weights = r.member(obj, "weights");
  const hasExpression = r.member(obj, "expression") !== null;
  if (weights !== null && hasExpression) {
    r.error(path, "set either weights or expression, not both");
  }
  if (weights !== null) {
    const wPath = pathKey(path, "weights");
    const w = r.object(weights, wPath, WEIGHT_FIELDS);
    if (w !== null) {
      out.mode = CostMode.Weights;
      const cw = out.weights;
      cw.input = r.number(w, "input", wPath, cw.input, 0, MAX_COST_WEIGHT);
      cw.output = r.number(w, "output", wPath, cw.output, 0, MAX_COST_WEIGHT);
      cw.cached = r.number(w, "cached", wPath, cw.cached, 0, MAX_COST_WEIGHT);
      cw.reasoning = r.number(w, "reasoning", wPath, cw.reasoning, 0, MAX_COST_WEIGHT);
    }
  }
  if (hasExpression) {
    const e = readExpression(r, obj, "expression", path, false);
    if (e !== null) {
      out.expression = e;
      if (weights === null) out.mode = CostMode.Expression;
    }
  }
  return out;
}
