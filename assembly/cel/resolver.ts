// How the evaluator reaches the outside world. The evaluator asks for an attribute only
// when an expression touches it; an implementation resolves it once per request and
// caches it. Names are the dotted qualified names as written ("request.path",
// "auth.identity"); the planner resolves the longest known prefix at configure time and
// member access/indexing continues on the returned Value.

import { Value } from "./value";

export abstract class AttributeResolver {
  /**
   * The value of the attribute `name`, or null when the attribute is not known or not
   * present for this request (CEL then reports "no such attribute").
   * Must not trap; may allocate on the first call for a name per request.
   */
  abstract resolve(name: string): Value | null;
}

/** A resolver over a fixed table, for tests and for evaluating with no request. */
export class MapResolver extends AttributeResolver {
  names: Array<string> = new Array<string>();
  values: Array<Value> = new Array<Value>();

  set(name: string, value: Value): MapResolver {
    this.names.push(name);
    this.values.push(value);
    return this;
  }

  resolve(name: string): Value | null {
    for (let i = 0, n = this.names.length; i < n; i++) {
      if (unchecked(this.names[i]) == name) return unchecked(this.values[i]);
    }
    return null;
  }
}
