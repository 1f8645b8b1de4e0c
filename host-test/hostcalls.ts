// The `env` hostcalls, argument handling as cpp-host src/exports.cc: enum arguments are
// range-checked first (BAD_ARGUMENT), then guest memory is read (INVALID_MEMORY_ACCESS when
// out of bounds), then the context acts; results go back through the guest allocator.
// Every call acts on the current context, or the effective one after
// proxy_set_effective_context. Arguments arrive as unsigned numbers (i32) or BigInt (i64).
import { WasmResult as R, HEADER_MAP_TYPE_MAX, BUFFER_TYPE_MAX, STREAM_TYPE_MAX } from "./abi.ts";
import { RootContext, type Hostcall, type WasmVm } from "./vm.ts";
import { decodePairs, encodePairs, fromByteString } from "./pairs.ts";
import { dispatchHttpCall } from "./calls.ts";
import { dispatchGrpcCall, dispatchGrpcStream, grpcSend, grpcCloseOrCancel } from "./grpc.ts";

const bs = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function rootOf(vm: WasmVm): RootContext | null {
  return vm.contextOrEffective().root;
}

function headerMapCall(vm: WasmVm, type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number, op: "add" | "replace"): number {
  if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
  const ctx = vm.contextOrEffective();
  const key = vm.memory.readByteString(keyPtr, keySize);
  const value = vm.memory.readByteString(valuePtr, valueSize);
  if (key === null || value === null) return R.InvalidMemoryAccess;
  const map = ctx.getMap(type);
  if (!map) return R.BadArgument;
  if (op === "add") map.add(key, value);
  else map.set(key, value);
  return R.Ok;
}

export const ENV_HOSTCALLS: Record<string, Hostcall> = {
  proxy_log(vm, level: number, ptr: number, size: number) {
    if (level > 5) return R.BadArgument;
    const ctx = vm.contextOrEffective();
    const msg = vm.memory.readByteString(ptr, size);
    if (msg === null) return R.InvalidMemoryAccess;
    vm.core.log(level, fromByteString(msg), vm.name, ctx.id, ctx.logPrefix(), "wasm");
    return R.Ok;
  },

  proxy_get_log_level(vm, ptr: number) {
    return vm.memory.setU32(ptr, vm.core.logLevel) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_get_status(vm, codePtr: number, msgPtrPtr: number, msgSizePtr: number) {
    const root = rootOf(vm);
    if (!vm.memory.setU32(codePtr, root?.statusCode ?? 0)) return R.InvalidMemoryAccess;
    return vm.memory.copyToPointerSize(bs(root?.statusMessage ?? ""), msgPtrPtr, msgSizePtr) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_set_tick_period_milliseconds(vm, period: number) {
    const ctx = vm.contextOrEffective();
    vm.setTimerPeriod(ctx.root ? ctx.root.id : ctx.id, period);
    return R.Ok;
  },

  proxy_get_current_time_nanoseconds(vm, ptr: number) {
    return vm.memory.setU64(ptr, vm.core.scheduler.nowNanos()) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_get_property(vm, pathPtr: number, pathSize: number, valuePtrPtr: number, valueSizePtr: number) {
    const path = vm.memory.readByteString(pathPtr, pathSize);
    if (path === null) return R.InvalidMemoryAccess;
    const r = vm.contextOrEffective().getProperty(path);
    if (r.status !== R.Ok) return r.status;
    return vm.memory.copyToPointerSize(r.value!, valuePtrPtr, valueSizePtr) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_set_property(vm, keyPtr: number, keySize: number, valuePtr: number, valueSize: number) {
    const key = vm.memory.readByteString(keyPtr, keySize);
    const value = vm.memory.read(valuePtr, valueSize);
    if (key === null || value === null) return R.InvalidMemoryAccess;
    return vm.contextOrEffective().setProperty(key, value);
  },

  proxy_continue_stream(vm, type: number) {
    if (type > STREAM_TYPE_MAX) return R.BadArgument;
    return vm.contextOrEffective().continueStream(type);
  },

  proxy_close_stream(vm, type: number) {
    if (type > STREAM_TYPE_MAX) return R.BadArgument;
    return vm.contextOrEffective().closeStream(type);
  },

  proxy_send_local_response(vm, code: number, detailsPtr: number, detailsSize: number, bodyPtr: number, bodySize: number, headersPtr: number, headersSize: number, grpcStatus: number) {
    const ctx = vm.contextOrEffective();
    const details = vm.memory.readByteString(detailsPtr, detailsSize);
    const body = vm.memory.read(bodyPtr, bodySize);
    const headers = vm.memory.read(headersPtr, headersSize);
    if (details === null || body === null || headers === null) return R.InvalidMemoryAccess;
    ctx.sendLocalResponse(code, body, decodePairs(headers), grpcStatus | 0, details);
    vm.stopIteration = true; // the current callback's result becomes a stop
    return R.Ok;
  },

  proxy_get_shared_data(vm, keyPtr: number, keySize: number, valuePtrPtr: number, valueSizePtr: number, casPtr: number) {
    const key = vm.memory.readByteString(keyPtr, keySize);
    if (key === null) return R.InvalidMemoryAccess;
    const r = vm.core.sharedData.get(vm.vmId, key);
    if (r.status !== R.Ok) return r.status;
    if (!vm.memory.copyToPointerSize(r.entry!.value, valuePtrPtr, valueSizePtr)) return R.InvalidMemoryAccess;
    return vm.memory.setU32(casPtr, r.entry!.cas) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_set_shared_data(vm, keyPtr: number, keySize: number, valuePtr: number, valueSize: number, cas: number) {
    const key = vm.memory.readByteString(keyPtr, keySize);
    const value = vm.memory.read(valuePtr, valueSize);
    if (key === null || value === null) return R.InvalidMemoryAccess;
    return vm.core.sharedData.setFromGuest(vm.vmId, key, value, cas);
  },

  proxy_register_shared_queue(vm, namePtr: number, nameSize: number, tokenPtr: number) {
    const ctx = vm.contextOrEffective();
    const name = vm.memory.readByteString(namePtr, nameSize);
    if (name === null) return R.InvalidMemoryAccess;
    const owner = {
      notify: (contextId: number, token: number) =>
        vm.core.scheduler.schedule(0, () => {
          const c = vm.contexts.get(contextId);
          if (!vm.dead && c instanceof RootContext && !c.deleted) c.onQueueReady(token);
        }),
    };
    const token = vm.core.queues.register(vm.vmId, name, owner, ctx.isRoot ? ctx.id : ctx.parentId);
    return vm.memory.setU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_resolve_shared_queue(vm, vmIdPtr: number, vmIdSize: number, namePtr: number, nameSize: number, tokenPtr: number) {
    const vmId = vm.memory.readByteString(vmIdPtr, vmIdSize);
    const name = vm.memory.readByteString(namePtr, nameSize);
    if (vmId === null || name === null) return R.InvalidMemoryAccess;
    const token = vm.core.queues.resolve(vmId === "" ? vm.vmId : vmId, name);
    if (vm.failed || token === 0) return R.NotFound;
    return vm.memory.setU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_dequeue_shared_queue(vm, token: number, dataPtrPtr: number, dataSizePtr: number) {
    const r = vm.core.queues.dequeue(token);
    if (r.status !== R.Ok) return r.status;
    return vm.memory.copyToPointerSize(r.data!, dataPtrPtr, dataSizePtr) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_enqueue_shared_queue(vm, token: number, dataPtr: number, dataSize: number) {
    const data = vm.memory.read(dataPtr, dataSize);
    if (data === null) return R.InvalidMemoryAccess;
    return vm.core.queues.enqueue(token, data);
  },

  proxy_get_header_map_value(vm, type: number, keyPtr: number, keySize: number, valuePtrPtr: number, valueSizePtr: number) {
    if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
    const ctx = vm.contextOrEffective();
    const key = vm.memory.readByteString(keyPtr, keySize);
    if (key === null) return R.InvalidMemoryAccess;
    const map = ctx.getConstMap(type);
    // In the access-log phase a missing map is "not found"; otherwise it is not available now.
    if (!map) return ctx.accessLogPhase ? R.NotFound : R.BadArgument;
    const v = map.get(key);
    if (v === undefined) return R.NotFound;
    return vm.memory.copyToPointerSize(bs(v), valuePtrPtr, valueSizePtr) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_add_header_map_value(vm, type: number, kp: number, ks: number, vp: number, vs: number) {
    return headerMapCall(vm, type, kp, ks, vp, vs, "add");
  },

  proxy_replace_header_map_value(vm, type: number, kp: number, ks: number, vp: number, vs: number) {
    return headerMapCall(vm, type, kp, ks, vp, vs, "replace");
  },

  proxy_remove_header_map_value(vm, type: number, keyPtr: number, keySize: number) {
    if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
    const ctx = vm.contextOrEffective();
    const key = vm.memory.readByteString(keyPtr, keySize);
    if (key === null) return R.InvalidMemoryAccess;
    const map = ctx.getMap(type);
    if (!map) return R.BadArgument;
    map.remove(key);
    return R.Ok;
  },

  proxy_get_header_map_pairs(vm, type: number, ptrPtr: number, sizePtr: number) {
    if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
    const map = vm.contextOrEffective().getConstMap(type);
    const pairs = map ? map.pairs() : [];
    const blob = pairs.length ? encodePairs(pairs) : new Uint8Array(0);
    return vm.memory.copyToPointerSize(blob, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_set_header_map_pairs(vm, type: number, ptr: number, size: number) {
    if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
    const ctx = vm.contextOrEffective();
    const data = vm.memory.read(ptr, size);
    if (data === null) return R.InvalidMemoryAccess;
    const map = ctx.getMap(type);
    if (!map) return R.BadArgument;
    map.replaceAll(decodePairs(data));
    return R.Ok;
  },

  proxy_get_header_map_size(vm, type: number, resultPtr: number) {
    if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
    const map = vm.contextOrEffective().getMap(type);
    if (!map) return R.BadArgument;
    return vm.memory.setU32(resultPtr, map.byteSize) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_get_buffer_status(vm, type: number, lengthPtr: number, flagsPtr: number) {
    if (type > BUFFER_TYPE_MAX) return R.BadArgument;
    const buf = vm.contextOrEffective().getBuffer(type);
    if (!buf) return R.NotFound;
    if (!vm.memory.setU32(lengthPtr, buf.size())) return R.InvalidMemoryAccess;
    return vm.memory.setU32(flagsPtr, 0) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_get_buffer_bytes(vm, type: number, start: number, length: number, ptrPtr: number, sizePtr: number) {
    if (type > BUFFER_TYPE_MAX) return R.BadArgument;
    const buf = vm.contextOrEffective().getBuffer(type);
    if (!buf) return R.NotFound;
    const size = buf.size();
    // Don't overread (cpp-host clamps instead of failing).
    if (start > size) length = 0;
    else if (start + length > size) length = size - start;
    const data = length === 0 ? new Uint8Array(0) : buf.read(start, length);
    return vm.memory.copyToPointerSize(data, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_set_buffer_bytes(vm, type: number, start: number, length: number, dataPtr: number, dataSize: number) {
    if (type > BUFFER_TYPE_MAX) return R.BadArgument;
    const buf = vm.contextOrEffective().getBuffer(type);
    if (!buf) return R.NotFound;
    const data = vm.memory.read(dataPtr, dataSize);
    if (data === null) return R.InvalidMemoryAccess;
    return buf.copyFrom(start, length, data);
  },

  proxy_http_call(vm, upPtr: number, upSize: number, hPtr: number, hSize: number, bPtr: number, bSize: number, tPtr: number, tSize: number, timeout: number, tokenPtr: number) {
    const root = rootOf(vm);
    const cluster = vm.memory.readByteString(upPtr, upSize);
    const body = vm.memory.read(bPtr, bSize);
    const headers = vm.memory.read(hPtr, hSize);
    const trailers = vm.memory.read(tPtr, tSize);
    if (cluster === null || body === null || headers === null || trailers === null) return R.InvalidMemoryAccess;
    // cpp-host writes the token slot first to check it before starting the call.
    if (!vm.memory.setU32(tokenPtr, 0)) return R.InvalidMemoryAccess;
    if (!root) return R.BadArgument;
    const r = dispatchHttpCall(root, cluster, decodePairs(headers), body, decodePairs(trailers), timeout);
    vm.memory.setU32(tokenPtr, r.token);
    return r.status;
  },

  proxy_grpc_call(vm, sPtr: number, sSize: number, snPtr: number, snSize: number, mPtr: number, mSize: number, mdPtr: number, mdSize: number, rPtr: number, rSize: number, timeout: number, tokenPtr: number) {
    const root = rootOf(vm);
    const service = vm.memory.read(sPtr, sSize);
    const serviceName = vm.memory.readByteString(snPtr, snSize);
    const method = vm.memory.readByteString(mPtr, mSize);
    const md = vm.memory.read(mdPtr, mdSize);
    const request = vm.memory.read(rPtr, rSize);
    if (service === null || serviceName === null || method === null || md === null || request === null) return R.InvalidMemoryAccess;
    if (!root) return R.BadArgument;
    const r = dispatchGrpcCall(root, service, serviceName, method, decodePairs(md), request, timeout);
    if (r.status !== R.Ok) return r.status;
    return vm.memory.setU32(tokenPtr, r.token) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_grpc_stream(vm, sPtr: number, sSize: number, snPtr: number, snSize: number, mPtr: number, mSize: number, mdPtr: number, mdSize: number, tokenPtr: number) {
    const root = rootOf(vm);
    const service = vm.memory.read(sPtr, sSize);
    const serviceName = vm.memory.readByteString(snPtr, snSize);
    const method = vm.memory.readByteString(mPtr, mSize);
    const md = vm.memory.read(mdPtr, mdSize);
    if (service === null || serviceName === null || method === null || md === null) return R.InvalidMemoryAccess;
    if (!root) return R.BadArgument;
    const r = dispatchGrpcStream(root, service, serviceName, method, decodePairs(md));
    if (r.status !== R.Ok) return r.status;
    return vm.memory.setU32(tokenPtr, r.token) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_grpc_send(vm, token: number, msgPtr: number, msgSize: number, endStream: number) {
    const root = rootOf(vm);
    const msg = vm.memory.read(msgPtr, msgSize);
    if (msg === null) return R.InvalidMemoryAccess;
    return root ? grpcSend(root, token, msg, endStream !== 0) : R.BadArgument;
  },

  proxy_grpc_close(vm, token: number) {
    const root = rootOf(vm);
    return root ? grpcCloseOrCancel(root, token, false) : R.BadArgument;
  },

  proxy_grpc_cancel(vm, token: number) {
    const root = rootOf(vm);
    return root ? grpcCloseOrCancel(root, token, true) : R.BadArgument;
  },

  proxy_define_metric(vm, type: number, namePtr: number, nameSize: number, idPtr: number) {
    const name = vm.memory.readByteString(namePtr, nameSize);
    if (name === null) return R.InvalidMemoryAccess;
    const r = vm.metrics.define(type, fromByteString(name));
    if (r.status !== R.Ok) return r.status;
    return vm.memory.setU32(idPtr, r.id!) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_increment_metric(vm, id: number, offset: bigint) {
    return vm.metrics.increment(id, offset);
  },

  proxy_record_metric(vm, id: number, value: bigint) {
    return vm.metrics.record(id, BigInt.asUintN(64, value));
  },

  proxy_get_metric(vm, id: number, resultPtr: number) {
    const r = vm.metrics.get(id);
    if (r.status !== R.Ok) return r.status;
    return vm.memory.setU64(resultPtr, r.value!) ? R.Ok : R.InvalidMemoryAccess;
  },

  proxy_set_effective_context(vm, id: number) {
    return vm.setEffective(id);
  },

  proxy_done(vm) {
    const root = rootOf(vm);
    return root && root.pendingDone ? root.finishDone() : R.NotFound;
  },

  proxy_call_foreign_function(vm, namePtr: number, nameSize: number, argsPtr: number, argsSize: number) {
    // No foreign functions are registered in this host (Envoy's compress/declare_property/... are not simulated).
    if (vm.memory.read(namePtr, nameSize) === null) return R.InvalidMemoryAccess;
    if (vm.memory.read(argsPtr, argsSize) === null) return R.InvalidMemoryAccess;
    return R.NotFound;
  },

  pthread_equal(_vm, a: number, b: number) {
    return a === b ? 1 : 0;
  },

  emscripten_notify_memory_growth() {},

  envoy_resolve_dns(vm, addrPtr: number, addrSize: number, tokenPtr: number) {
    if (vm.memory.read(addrPtr, addrSize) === null) return R.InvalidMemoryAccess;
    vm.core.warn("envoy_resolve_dns is not simulated: no envoy_on_resolve_dns will follow");
    return vm.memory.setU32(tokenPtr, 1) ? R.Ok : R.InvalidMemoryAccess;
  },
};
