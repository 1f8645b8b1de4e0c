// Guest memory access with Envoy's bounds rules (V8::getMemory/setMemory/setWord: valid when
// pointer + size <= memory size). Reads return copies, so nothing the host stores aliases
// guest memory. Data returned to the guest goes through the guest's allocator
// (WasmBase::copyToPointerSize): an empty result is pointer 0 / size 0 without allocating.

export class GuestMemory {
  private memory: WebAssembly.Memory | null = null;
  private view: Uint8Array = new Uint8Array(0);

  constructor(private readonly alloc: (size: number) => number) {}

  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  /** Current memory size in bytes. */
  get size(): number {
    return this.memory ? this.memory.buffer.byteLength : 0;
  }

  private bytes(): Uint8Array {
    const buf = this.memory!.buffer;
    if (this.view.buffer !== buf) this.view = new Uint8Array(buf);
    return this.view;
  }

  /** True when [ptr, ptr+size) lies inside memory. */
  valid(ptr: number, size: number): boolean {
    return this.memory !== null && ptr + size <= this.size;
  }

  /** A copy of [ptr, ptr+size), or null when out of bounds. */
  read(ptr: number, size: number): Uint8Array | null {
    if (!this.valid(ptr, size)) return null;
    return this.bytes().slice(ptr, ptr + size);
  }

  /** The bytes as a byte string (one char per byte), or null when out of bounds. */
  readByteString(ptr: number, size: number): string | null {
    if (!this.valid(ptr, size)) return null;
    return Buffer.from(this.bytes().buffer, ptr, size).toString("latin1");
  }

  /** Writes bytes; false when out of bounds. */
  write(ptr: number, data: Uint8Array): boolean {
    if (!this.valid(ptr, data.length)) return false;
    this.bytes().set(data, ptr);
    return true;
  }

  setU32(ptr: number, v: number): boolean {
    if (!this.valid(ptr, 4)) return false;
    new DataView(this.memory!.buffer).setUint32(ptr, v >>> 0, true);
    return true;
  }

  setU64(ptr: number, v: bigint): boolean {
    if (!this.valid(ptr, 8)) return false;
    new DataView(this.memory!.buffer).setBigUint64(ptr, BigInt.asUintN(64, v), true);
    return true;
  }

  getU32(ptr: number): number | null {
    if (!this.valid(ptr, 4)) return null;
    return new DataView(this.memory!.buffer).getUint32(ptr, true);
  }

  /**
   * Allocates `data` in the guest and writes (pointer, size) to the two u32 slots.
   * Returns false when allocation fails or a slot is out of bounds (INVALID_MEMORY_ACCESS).
   */
  copyToPointerSize(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let ptr = 0;
    if (data.length > 0) {
      ptr = this.alloc(data.length);
      if (ptr === 0 || !this.write(ptr, data)) return false;
    }
    return this.setU32(ptrPtr, ptr) && this.setU32(sizePtr, data.length);
  }
}
