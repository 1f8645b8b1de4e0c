// The stand-in's storage: objects by type, namespace and name; one resourceVersion
// counter for all writes (as etcd's revision); a bounded history of events that watches
// replay from; garbage collection of objects whose owners are all gone.
import { randomUUID } from "node:crypto";
import { canonical } from "../../../src/controller/canonical.ts";
import { type ResourceType, apiVersionOf } from "./resources.ts";

export type Obj = Record<string, any>;
export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface WatchEvent {
  rv: number;
  type: ResourceType;
  event: EventType;
  object: Obj;
}

export class StoreError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string) {
    super(message);
  }
}

type Listener = (e: WatchEvent) => void;

export class Store {
  private readonly objects = new Map<string, Obj>();
  private rv = 1;
  private history: WatchEvent[] = [];
  /** The oldest resourceVersion a watch may start from. */
  private compactedTo = 0;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly now: () => Date, private readonly historyLimit = 1000) {}

  get resourceVersion(): number {
    return this.rv;
  }

  list(type: ResourceType, namespace?: string): Obj[] {
    const out: Obj[] = [];
    for (const [key, o] of this.objects) {
      if (!key.startsWith(`${type.plural}.${type.group}|`)) continue;
      if (namespace !== undefined && o.metadata.namespace !== namespace) continue;
      out.push(structuredClone(o));
    }
    return out.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  }

  get(type: ResourceType, namespace: string | undefined, name: string): Obj {
    const o = this.objects.get(this.key(type, namespace, name));
    if (o === undefined) throw notFound(type, name);
    return structuredClone(o);
  }

  create(type: ResourceType, namespace: string | undefined, body: Obj): Obj {
    const meta = body.metadata ?? {};
    const name: string | undefined = meta.name ?? (meta.generateName ? meta.generateName + randomUUID().slice(0, 5) : undefined);
    if (typeof name !== "string" || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
      throw new StoreError(422, "Invalid", `${type.plural}.${type.group} "${name ?? ""}" is invalid: metadata.name: Invalid value: "${name ?? ""}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`);
    }
    if (meta.namespace !== undefined && namespace !== undefined && meta.namespace !== namespace) {
      throw new StoreError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
    }
    const key = this.key(type, namespace, name);
    if (this.objects.has(key)) throw new StoreError(409, "AlreadyExists", `${type.plural}.${type.group} "${name}" already exists`);
    const o: Obj = structuredClone(body);
    o.apiVersion = apiVersionOf(type);
    o.kind = type.kind;
    const { generateName: _g, ...rest } = meta;
    o.metadata = {
      ...rest,
      name,
      ...(type.namespaced ? { namespace } : {}),
      uid: randomUUID(),
      generation: 1,
      creationTimestamp: this.now().toISOString().replace(/\.\d+Z$/, "Z"),
    };
    if (type.status) delete o.status;
    return this.write(type, key, o, "ADDED");
  }

  /**
   * Replaces the object (or, with `subresource` "status", only its status). A
   * resourceVersion in the body must be the stored one (409 otherwise).
   */
  update(type: ResourceType, namespace: string | undefined, name: string, body: Obj, subresource?: "status"): Obj {
    const key = this.key(type, namespace, name);
    const old = this.objects.get(key);
    if (old === undefined) throw notFound(type, name);
    const rv = body.metadata?.resourceVersion;
    if (rv !== undefined && rv !== old.metadata.resourceVersion) {
      throw new StoreError(409, "Conflict", `Operation cannot be fulfilled on ${type.plural}.${type.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    let o: Obj;
    if (subresource === "status") {
      o = { ...structuredClone(old), status: structuredClone(body.status) };
    } else {
      o = structuredClone(body);
      o.apiVersion = apiVersionOf(type);
      o.kind = type.kind;
      // Fields the server owns.
      const m = old.metadata;
      o.metadata = { ...o.metadata, name, uid: m.uid, creationTimestamp: m.creationTimestamp, generation: m.generation, ...(type.namespaced ? { namespace } : {}) };
      if (type.status) {
        if (old.status === undefined) delete o.status;
        else o.status = structuredClone(old.status);
      }
      if (canonical(without(o, ["metadata", "status"])) !== canonical(without(old, ["metadata", "status"]))) o.metadata.generation = m.generation + 1;
    }
    const unversioned = (x: Obj) => canonical({ ...x, metadata: { ...x.metadata, resourceVersion: undefined } });
    if (unversioned(o) === unversioned(old)) return structuredClone(old); // no change: no new resourceVersion, no event
    return this.write(type, key, o, "MODIFIED");
  }

  delete(type: ResourceType, namespace: string | undefined, name: string): Obj {
    const key = this.key(type, namespace, name);
    const old = this.objects.get(key);
    if (old === undefined) throw notFound(type, name);
    this.objects.delete(key);
    const gone = this.emit(type, old, "DELETED");
    this.collectGarbage();
    return gone;
  }

  /** Watches every write from now on; returns the function that stops it. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The events after `rv`, or null when history before it was compacted (410 Gone). */
  eventsSince(rv: number): WatchEvent[] | null {
    if (rv < this.compactedTo) return null;
    return this.history.filter((e) => e.rv > rv);
  }

  /** Forgets all history: watches from an older resourceVersion get 410 Gone. */
  compact(): void {
    this.history = [];
    this.compactedTo = this.rv;
  }

  private write(type: ResourceType, key: string, o: Obj, event: EventType): Obj {
    this.rv++;
    o.metadata.resourceVersion = String(this.rv);
    this.objects.set(key, o);
    this.record(type, o, event);
    return structuredClone(o);
  }

  private emit(type: ResourceType, o: Obj, event: EventType): Obj {
    this.rv++;
    const copy = structuredClone(o);
    copy.metadata.resourceVersion = String(this.rv);
    this.record(type, copy, event);
    return copy;
  }

  private record(type: ResourceType, o: Obj, event: EventType): void {
    const e: WatchEvent = { rv: this.rv, type, event, object: structuredClone(o) };
    this.history.push(e);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()!;
      this.compactedTo = dropped.rv;
    }
    for (const l of this.listeners) l(e);
  }

  /** Background cascading deletion: an object whose owners (by uid) are all gone goes too. */
  private collectGarbage(): void {
    for (;;) {
      const uids = new Set([...this.objects.values()].map((o) => o.metadata.uid));
      const orphan = [...this.objects.entries()].find(([, o]) => {
        const owners: { uid: string }[] = o.metadata.ownerReferences ?? [];
        return owners.length > 0 && owners.every((r) => !uids.has(r.uid));
      });
      if (orphan === undefined) return;
      const [key, o] = orphan;
      this.objects.delete(key);
      this.emit(this.typeOfKey(key), o, "DELETED");
    }
  }

  private readonly types = new Map<string, ResourceType>();

  private key(type: ResourceType, namespace: string | undefined, name: string): string {
    const id = `${type.plural}.${type.group}`;
    this.types.set(id, type);
    return `${id}|${type.namespaced ? namespace ?? "" : ""}|${name}`;
  }

  private typeOfKey(key: string): ResourceType {
    return this.types.get(key.split("|")[0])!;
  }
}

export function notFound(type: ResourceType, name: string): StoreError {
  return new StoreError(404, "NotFound", `${type.plural}.${type.group} "${name}" not found`);
}

function keyOf(o: Obj): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

function without(o: Obj, keys: string[]): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k)) out[k] = v;
  return out;
}
