// The registry's table of contexts by id: every id stored is found until removed, and
// removing one never hides another, whatever order ids come and go in.
import { ContextTable } from "../filter/context_table";

class Item {
  constructor(public id: u32) {}
}

describe("the context table", () => {
  it("finds what was stored and nothing else", () => {
    const t = new ContextTable<Item>();
    expect(t.get(1)).toBeNull();
    t.set(1, new Item(1));
    t.set(2, new Item(2));
    expect(t.get(1)!.id).toBe(1);
    expect(t.get(2)!.id).toBe(2);
    expect(t.get(3)).toBeNull();
    expect(t.size).toBe(2);
    expect(t.remove(1)!.id).toBe(1);
    expect(t.get(1)).toBeNull();
    expect(t.remove(1)).toBeNull();
    expect(t.get(2)!.id).toBe(2);
    expect(t.size).toBe(1);
  });
  it("replaces a context stored under the same id", () => {
    const t = new ContextTable<Item>();
    t.set(7, new Item(1));
    t.set(7, new Item(2));
    expect(t.size).toBe(1);
    expect(t.get(7)!.id).toBe(2);
  });
  it("agrees with a plain list over thousands of random stores and removals", () => {
    const t = new ContextTable<Item>();
    const live = new Array<u32>();
    let seed: u32 = 12345;
    for (let step = 0; step < 20000; step++) {
      seed = seed * 1103515245 + 12345;
      const r = (seed >>> 8) % 100;
      if (r < 55 || live.length == 0) {
        // Ids mostly consecutive (as the proxy gives them), some far apart.
        const id: u32 = r < 45 ? <u32>step + 2 : (seed >>> 4) | 1;
        if (!live.includes(id)) {
          t.set(id, new Item(id));
          live.push(id);
        }
      } else {
        const k = <i32>((seed >>> 12) % <u32>live.length);
        const id = live[k];
        live[k] = live[live.length - 1];
        live.pop();
        const removed = t.remove(id);
        expect(removed).not.toBeNull();
        expect(removed!.id).toBe(id);
      }
      if (step % 997 == 0) {
        for (let i = 0; i < live.length; i++) expect(t.get(live[i])!.id).toBe(live[i]);
      }
    }
    expect(t.size).toBe(live.length);
    for (let i = 0; i < live.length; i++) expect(t.get(live[i])!.id).toBe(live[i]);
  });
});
