// Per-VM pools of the objects a request that a limit applies to needs: its selection and
// its response usage reader. Allocating them anew for every request was a large share of
// a request's cost (the reader holds fixed scanning buffers); a stream takes them when it
// needs them and gives them back when it ends. A pool keeps at most POOL_LIMIT spares, so
// that a burst of concurrent streams does not pin its memory for good.
import { Selection } from "../limits/selection";
import { Preset } from "../usage/presets";
import { ResponseUsageReader } from "../usage/reader";

// @ts-ignore: decorator
@inline const POOL_LIMIT: i32 = 64;

const selections = new Array<Selection>();
const readers = new Array<ResponseUsageReader>();
/** Readers taken and not given back: the responses being read now. */
let readersOut: i32 = 0;

/** An empty selection, reused when one is spare. */
export function takeSelection(): Selection {
  const n = selections.length;
  if (n == 0) return new Selection();
  const s = unchecked(selections[n - 1]);
  selections.length = n - 1;
  return s;
}

/** Gives back a selection no stream refers to any more. */
export function giveSelection(s: Selection): void {
  if (selections.length < POOL_LIMIT) selections.push(s);
}

/**
 * A usage reader, reused when one is spare; `begin(contentType, preset)` starts it afresh.
 * Null when `max` readers are out already: a burst of concurrent responses cannot grow
 * the VM's memory (which never shrinks) past what `max` of them hold.
 */
export function takeReaderWithin(preset: Preset, max: i32): ResponseUsageReader | null {
  if (readersOut >= max) return null;
  readersOut++;
  return takeReader(preset);
}

/** A usage reader, reused when one is spare; `begin(contentType, preset)` starts it afresh. */
function takeReader(preset: Preset): ResponseUsageReader {
  const n = readers.length;
  if (n == 0) return new ResponseUsageReader(preset);
  const r = unchecked(readers[n - 1]);
  readers.length = n - 1;
  return r;
}

/** Gives back a reader whose response is over. */
export function giveReader(r: ResponseUsageReader): void {
  if (readersOut > 0) readersOut--;
  if (readers.length < POOL_LIMIT) readers.push(r);
}
