// The local backend's store: Proxy-Wasm shared data, shared by every worker VM with the
// same vm_id in one proxy. Envoy serializes each get/set under a lock and bumps the
// key's cas on every set, which is all compare-and-swap needs.
import { getSharedData, setSharedData, SharedValue } from "../abi/shared_data";
import { CounterStore, StoredRead } from "./store";

/** CounterStore over `proxy_get_shared_data` / `proxy_set_shared_data`. */
export class SharedDataCounters extends CounterStore {
  private scratch: SharedValue = new SharedValue();

  read(key: ArrayBuffer, out: StoredRead): i32 {
    const got = getSharedData(key, this.scratch);
    out.value = got.value;
    out.cas = got.cas;
    return got.status;
  }

  compareAndSwap(key: ArrayBuffer, value: ArrayBuffer, cas: u32): i32 {
    return setSharedData(key, value, cas);
  }
}
