// How the evaluator reaches the outside world. The evaluator asks for an attribute only
// when an expression touches it; an implementation resolves it once per request and
// caches it. Names are the dotted qualified names as written ("request.path",
// "auth.identity"); the planner resolves the longest known prefix at configure time and
// member access/indexing continues on the returned Value.

import { Value } from "./value";

/** `AttributeResolver.text`: the attribute is a string whose bytes are all ASCII, in the view. */
export const TEXT_ASCII: i32 = 1;
/** `AttributeResolver.text`: the attribute is absent (as `resolve` returning null). */
export const TEXT_ABSENT: i32 = 0;
/** `AttributeResolver.text`: not answered this way; ask `resolve`. */
export const TEXT_UNAVAILABLE: i32 = -1;

/** Where `AttributeResolver.text` puts an attribute's bytes: [ptr, ptr + len). */
export class TextView {
  ptr: usize = 0;
  len: i32 = 0;
}

export abstract class AttributeResolver {
  /**
   * The string attribute `name` as bytes, when they are all ASCII (each byte is then one
   * code unit of the string `resolve` would return): TEXT_ASCII with the bytes in `out`,
   * valid until the resolver is asked again. TEXT_ABSENT when `resolve` would return null;
   * TEXT_UNAVAILABLE for anything else (another type, other bytes, a name not read this
   * way), and the caller asks `resolve`. Answers what `resolve` would, with no more
   * hostcalls; allocates nothing. By default nothing is answered this way.
   */
  text(name: string, out: TextView): i32 {
    return TEXT_UNAVAILABLE;
  }

  /**
   * Roughly how many values this resolver has made since it started on this request,
   * for pacing garbage collection; 0 when it does not count.
   */
  allocationUnits(): i32 {
    return 0;
  }

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
