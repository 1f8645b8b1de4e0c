// The floor under the full request's cost: the pass-through's glue making exactly the
// hostcalls the filter makes on the example policy's full path (the same calls in the same
// callbacks, with keys and values of the same sizes, every result read and freed) and
// nothing else. Any filter that asks the proxy those questions pays at least this much
// before it decides anything; `bench request-cost-hostcall-floor` prints it. Configured
// with the text `unmatched`, it makes only the one call a request no limit applies to
// needs (its path), the floor under `request-cost-unmatched`.
export * from "./filter/exports";
import { setRootContextFactory } from "./filter/registry";
import { RootContext, HttpContext } from "./filter/context";
import {
  proxy_get_property, proxy_get_header_map_value, proxy_replace_header_map_value, proxy_remove_header_map_value,
  proxy_get_current_time_nanoseconds, proxy_get_shared_data, proxy_set_shared_data, proxy_get_buffer_bytes,
  proxy_increment_metric, proxy_define_metric, proxy_set_property,
} from "./abi/imports";
import { HeaderMapType, BufferType, WasmResult } from "./abi/status";
import { pluginConfiguration } from "./abi/configuration";
import { resultPtrSlot, resultSizeSlot, u64Slot, u32Slot, hostFree } from "./abi/memory";

function bytes(s: string): ArrayBuffer { return String.UTF8.encode(s); }

const METADATA = bytes("metadata");
const AUTHORIZATION = bytes("authorization");
const PATH = bytes(":path");
const METHOD = bytes(":method");
const ACCEPT_ENCODING = bytes("accept-encoding");
const IDENTITY = bytes("identity");
const CONTENT_LENGTH = bytes("content-length");
const CONTENT_TYPE = bytes("content-type");
const STATUS = bytes(":status");
const CONTENT_ENCODING = bytes("content-encoding");
const LIMIT = bytes("x-ratelimit-limit-tokens");
const REMAINING = bytes("x-ratelimit-remaining-tokens");
const RESET = bytes("x-ratelimit-reset-tokens");
const LIMIT_VALUE = bytes("20000");
const REMAINING_VALUE = bytes("18797");
const RESET_VALUE = bytes("15h0m0s");
// The filter's slot key and counter record for alice on the free limit are 24 and 73 bytes.
const COUNTER_KEY = bytes("tokenlimit|free|0|#90956");
const COUNTER = new ArrayBuffer(73);
const CHARGE = bytes("tokenlimit.charge");
// The access-log record of the full scenario is 196 bytes.
const RECORD = new ArrayBuffer(196);

const metrics = new StaticArray<u32>(5);
let unmatchedOnly = false;
// The counter's version as read at the request headers: the filter writes the reservation with it.
let checkedCas: u32 = 0;

/** Reads what the last call returned (its first byte, as a use) and frees it as the filter does. */
function consume(status: i32): u32 {
  const ptr = <usize>load<u32>(resultPtrSlot());
  const size = load<u32>(resultSizeSlot());
  store<u32>(resultPtrSlot(), 0);
  store<u32>(resultSizeSlot(), 0);
  if (ptr == 0) return 0;
  const first: u32 = status == WasmResult.Ok && size > 0 ? load<u8>(ptr) : 0;
  hostFree(ptr);
  return first;
}

function getProperty(path: ArrayBuffer): u32 {
  return consume(proxy_get_property(changetype<usize>(path), path.byteLength, resultPtrSlot(), resultSizeSlot()));
}

function getHeader(map: i32, name: ArrayBuffer): u32 {
  return consume(proxy_get_header_map_value(map, changetype<usize>(name), name.byteLength, resultPtrSlot(), resultSizeSlot()));
}

function replaceHeader(map: i32, name: ArrayBuffer, value: ArrayBuffer): void {
  proxy_replace_header_map_value(map, changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength);
}

function now(): u64 {
  proxy_get_current_time_nanoseconds(u64Slot());
  return load<u64>(u64Slot());
}

/** Reads the counter into COUNTER; returns its version. */
function readCounter(): u32 {
  const status = proxy_get_shared_data(changetype<usize>(COUNTER_KEY), COUNTER_KEY.byteLength, resultPtrSlot(), resultSizeSlot(), u32Slot());
  const ptr = <usize>load<u32>(resultPtrSlot());
  const size = load<u32>(resultSizeSlot());
  if (status == WasmResult.Ok && ptr != 0 && size == <u32>COUNTER.byteLength) memory.copy(changetype<usize>(COUNTER), ptr, size);
  consume(status);
  return status == WasmResult.Ok ? load<u32>(u32Slot()) : 0;
}

function writeCounter(cas: u32): void {
  proxy_set_shared_data(changetype<usize>(COUNTER_KEY), COUNTER_KEY.byteLength, changetype<usize>(COUNTER), COUNTER.byteLength, cas);
}

function body(buffer: i32, size: u32): u32 {
  return consume(proxy_get_buffer_bytes(buffer, 0, size, resultPtrSlot(), resultSizeSlot()));
}

class FloorStream extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): i32 {
    getHeader(HeaderMapType.RequestHeaders, PATH);
    if (unmatchedOnly) return 0;
    getProperty(METADATA);
    getHeader(HeaderMapType.RequestHeaders, AUTHORIZATION);
    proxy_increment_metric(unchecked(metrics[0]), 1);
    getHeader(HeaderMapType.RequestHeaders, METHOD);
    replaceHeader(HeaderMapType.RequestHeaders, ACCEPT_ENCODING, IDENTITY);
    now();
    checkedCas = readCounter();
    return 0;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): i32 {
    if (unmatchedOnly) return 0;
    getHeader(HeaderMapType.RequestHeaders, CONTENT_LENGTH);
    getHeader(HeaderMapType.RequestHeaders, CONTENT_TYPE);
    proxy_remove_header_map_value(HeaderMapType.RequestHeaders, changetype<usize>(CONTENT_LENGTH), CONTENT_LENGTH.byteLength);
    body(BufferType.HttpRequestBody, bodySize);
    now();
    writeCounter(checkedCas);
    proxy_increment_metric(unchecked(metrics[1]), 1);
    proxy_increment_metric(unchecked(metrics[2]), 1);
    return 0;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): i32 {
    if (unmatchedOnly) return 0;
    getHeader(HeaderMapType.ResponseHeaders, STATUS);
    getHeader(HeaderMapType.ResponseHeaders, CONTENT_ENCODING);
    getHeader(HeaderMapType.ResponseHeaders, CONTENT_TYPE);
    replaceHeader(HeaderMapType.ResponseHeaders, LIMIT, LIMIT_VALUE);
    replaceHeader(HeaderMapType.ResponseHeaders, REMAINING, REMAINING_VALUE);
    replaceHeader(HeaderMapType.ResponseHeaders, RESET, RESET_VALUE);
    return 0;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): i32 {
    if (unmatchedOnly) return 0;
    body(BufferType.HttpResponseBody, bodySize);
    now();
    proxy_increment_metric(unchecked(metrics[3]), 100);
    proxy_increment_metric(unchecked(metrics[4]), 100);
    writeCounter(readCounter());
    proxy_set_property(changetype<usize>(CHARGE), CHARGE.byteLength, changetype<usize>(RECORD), RECORD.byteLength);
    return 0;
  }
}

class FloorRoot extends RootContext {
  onConfigure(size: u32): bool {
    unmatchedOnly = String.UTF8.decode(pluginConfiguration(size)) == "unmatched";
    const names = ["floor.identity_found", "floor.requests_admitted", "floor.limit.requests_admitted", "floor.tokens_charged", "floor.limit.tokens_charged"];
    for (let i = 0; i < names.length; i++) {
      const name = bytes(names[i]);
      proxy_define_metric(0, changetype<usize>(name), name.byteLength, u32Slot());
      unchecked(metrics[i] = load<u32>(u32Slot()));
    }
    return true;
  }
  newHttpContext(id: u32): HttpContext { return new FloorStream(id, this); }
}

setRootContextFactory((id: u32): RootContext => new FloorRoot(id));
