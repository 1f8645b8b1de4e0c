// Image references as Docker and Istio write them: [oci://]host[:port]/repository[:tag][@sha256:hex].
import { isDigest } from "./manifest.ts";

export interface Reference {
  /** host[:port] as written (docker.io when the reference names no registry). */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const REGISTRY = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** Parses a reference, or says what is wrong with it. */
export function parseReference(text: string): Reference | { error: string } {
  const bad = (why: string) => ({ error: `invalid image reference ${JSON.stringify(text)}: ${why}` });
  let rest = text.startsWith("oci://") ? text.slice("oci://".length) : text;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) return bad("only oci:// or no scheme");
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) return bad("the digest must be sha256: and 64 lowercase hex digits");
  }
  let registry = "docker.io";
  const slash = rest.indexOf("/");
  const first = slash < 0 ? "" : rest.slice(0, slash);
  if (first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("[")) {
    registry = first;
    rest = rest.slice(slash + 1);
    if (!REGISTRY.test(registry)) return bad(`bad registry host ${JSON.stringify(registry)}`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return bad(`bad tag ${JSON.stringify(tag)}`);
  }
  if (!REPOSITORY.test(rest)) return bad("the repository must be lowercase letters, digits and separators (. _ - /)");
  if (registry === "docker.io" && !rest.includes("/")) rest = "library/" + rest;
  return { registry, repository: rest, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** The reference as `oci://registry/repository[:tag][@digest]`. */
export function formatReference(ref: Reference): string {
  return `oci://${ref.registry}/${ref.repository}${ref.tag === undefined ? "" : ":" + ref.tag}${ref.digest === undefined ? "" : "@" + ref.digest}`;
}

/** True for localhost and loopback addresses, which are reached over plain HTTP as Docker does. */
export function isLoopback(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, "").replace(/^\[(.*)\]$/, "$1");
  return host === "localhost" || host === "::1" || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host);
}

/** The base URL of the registry's distribution API (`/v2/` is below it). */
export function registryUrl(ref: Reference, insecure: boolean): string {
  const host = ref.registry === "docker.io" ? "registry-1.docker.io" : ref.registry;
  return `${insecure || isLoopback(ref.registry) ? "http" : "https"}://${host}`;
}
