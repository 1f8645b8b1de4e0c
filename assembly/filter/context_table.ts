// Contexts by id: an open-addressing table (linear probing, backward-shift deletion) that
// allocates only when it grows. std's Map allocates new storage as deleted entries pile
// up, so a worker turning streams over would make garbage for every few streams; this
// table makes none once it has reached the worker's peak of open streams.

// @ts-ignore: decorator
@inline const INITIAL_CAPACITY: i32 = 16;

export class ContextTable<T> {
  private ids: StaticArray<u32> = new StaticArray<u32>(INITIAL_CAPACITY);
  /** null marks an empty slot (a stored context is never null). */
  private items: StaticArray<T | null> = new StaticArray<T | null>(INITIAL_CAPACITY);
  private mask: u32 = <u32>INITIAL_CAPACITY - 1;
  private count: i32 = 0;

  /** The context with `id`, or null. */
  get(id: u32): T | null {
    const mask = this.mask;
    const ids = this.ids, items = this.items;
    for (let i = home(id, mask); ; i = (i + 1) & mask) {
      const item = unchecked(items[i]);
      if (item === null) return null;
      if (unchecked(ids[i]) == id) return item;
    }
    return null;
  }

  /** Stores `item` under `id`, replacing any context stored under it. */
  set(id: u32, item: T): void {
    if ((this.count + 1) << 1 > this.items.length) this.grow();
    const mask = this.mask;
    const ids = this.ids, items = this.items;
    let i = home(id, mask);
    while (unchecked(items[i]) !== null && unchecked(ids[i]) != id) i = (i + 1) & mask;
    if (unchecked(items[i]) === null) this.count++;
    unchecked(ids[i] = id);
    unchecked(items[i] = item);
  }

  /** Removes and returns the context with `id` (null when there is none). */
  remove(id: u32): T | null {
    const mask = this.mask;
    const ids = this.ids, items = this.items;
    let i = home(id, mask);
    let found: T | null = null;
    while (true) {
      found = unchecked(items[i]);
      if (found === null) return null;
      if (unchecked(ids[i]) == id) break;
      i = (i + 1) & mask;
    }
    // Move back every later entry of the run that may sit at or before the hole, so that
    // no lookup meets an empty slot before its entry.
    let hole = i;
    let j = (i + 1) & mask;
    while (true) {
      const item = unchecked(items[j]);
      if (item === null) break;
      const h = home(unchecked(ids[j]), mask);
      // The entry at j stays when its home lies cyclically in (hole, j].
      const stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
      if (!stays) {
        unchecked(ids[hole] = unchecked(ids[j]));
        unchecked(items[hole] = item);
        hole = j;
      }
      j = (j + 1) & mask;
    }
    unchecked(items[hole] = null);
    this.count--;
    return found;
  }

  /** Number of contexts stored. */
  get size(): i32 {
    return this.count;
  }

  private grow(): void {
    const oldIds = this.ids, oldItems = this.items;
    const capacity = oldItems.length << 1;
    this.ids = new StaticArray<u32>(capacity);
    this.items = new StaticArray<T | null>(capacity);
    this.mask = <u32>capacity - 1;
    this.count = 0;
    for (let i = 0, n = oldItems.length; i < n; i++) {
      const item = unchecked(oldItems[i]);
      if (item !== null) this.set(unchecked(oldIds[i]), item);
    }
  }
}

// Fibonacci hashing, high bits folded down: the proxy numbers contexts consecutively,
// and this spreads any run of ids over the table, whatever its size.
// @ts-ignore: decorator
@inline function home(id: u32, mask: u32): u32 {
  const h = id * 0x9E3779B1;
  return (h ^ (h >>> 15)) & mask;
}
