// Shared data: a key/value store shared by every VM with the same vm_id in a proxy,
// with compare-and-swap. The SDK's wrappers passed the wrong pointers (and dropped
// the cas); these follow the ABI: get returns (bytes, cas), set takes the cas to match.
import { proxy_get_shared_data, proxy_set_shared_data } from "./imports";
import { WasmResult } from "./status";
import { clearResult, dropResult, resultPtrSlot, resultSizeSlot, takeResultInto, u32Slot } from "./memory";

/** Result of a shared-data read. `status` is Ok or NotFound; `cas` is 0 when absent. */
export class SharedValue {
  status: i32 = WasmResult.NotFound;
  value: ArrayBuffer = EMPTY;
  cas: u32 = 0;
  /** The last value's buffer, reused by the next read of a value of the same size. */
  spare: ArrayBuffer = EMPTY;
}

const EMPTY = new ArrayBuffer(0);

/**
 * Reads `key` into `out`, reused by the caller: a value of the same size as the last one
 * read is copied into that one's buffer (so the previous value is overwritten), anything
 * else gets a new buffer. `value` is empty unless the status is Ok.
 */
export function getSharedData(key: ArrayBuffer, out: SharedValue): SharedValue {
  clearResult();
  store<u32>(u32Slot(), 0);
  out.status = proxy_get_shared_data(changetype<usize>(key), <usize>key.byteLength, resultPtrSlot(), resultSizeSlot(), u32Slot());
  if (out.status != WasmResult.Ok) {
    dropResult();
    out.value = EMPTY;
    out.cas = 0;
    return out;
  }
  const value = takeResultInto(out.spare);
  out.value = value;
  out.spare = value;
  out.cas = load<u32>(u32Slot());
  return out;
}

/** Writes `key` if its cas still equals `cas` (0: unconditionally). CasMismatch on conflict. */
export function setSharedData(key: ArrayBuffer, value: ArrayBuffer, cas: u32): i32 {
  return proxy_set_shared_data(changetype<usize>(key), <usize>key.byteLength, changetype<usize>(value), <usize>value.byteLength, cas);
}
