// A small client of the OCI distribution API (opencontainers/distribution-spec, spec.md):
// what `tokenlimit image push` needs, and the pulls that check it.
//   push a blob:     HEAD /v2/<name>/blobs/<digest> (skip if 200), else
//                    POST /v2/<name>/blobs/uploads/ -> 202 Location, PUT <Location>?digest=<digest>
//   push a manifest: PUT /v2/<name>/manifests/<tag>
//   pull:            GET /v2/<name>/manifests/<reference>, GET /v2/<name>/blobs/<digest>
// A 401 is answered once per scope with the challenge's scheme (Basic, or a Bearer token).
import { type Credentials, basicAuthorization, parseChallenge, tokenFromResponse, tokenRequest } from "./auth.ts";
import { type Blob, type Image, OCI_MANIFEST, digestOf, imageBlobs } from "./manifest.ts";
import { type Reference, registryUrl } from "./reference.ts";

export interface ClientOptions {
  /** Plain HTTP for a registry without TLS (loopback registries always use it). */
  insecure?: boolean;
  credentials?: Credentials;
  /** Per request; default 60 s. */
  timeoutMs?: number;
}

/** A request the registry refused, with its status and the registry's own error codes. */
export class RegistryError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/** The distribution API of one repository (`ref.registry`/`ref.repository`); remembers the authorization per scope. */
export class RegistryClient {
  private readonly base: string;
  private readonly authorization = new Map<string, string>();

  constructor(readonly ref: Reference, private readonly options: ClientOptions = {}) {
    this.base = registryUrl(ref, options.insecure ?? false);
  }

  /** True when the registry has the blob. */
  async hasBlob(digest: string): Promise<boolean> {
    const r = await this.request("HEAD", `blobs/${digest}`, {}, "pull");
    if (r.status === 200) return true;
    if (r.status === 404) return false;
    throw await failure(r, `HEAD blob ${digest}`);
  }

  /** Uploads a blob unless the registry has it already; says which. */
  async pushBlob(blob: Blob): Promise<"exists" | "pushed"> {
    const { digest } = blob.descriptor;
    if (await this.hasBlob(digest)) return "exists";
    const start = await this.request("POST", "blobs/uploads/", {}, "pull,push");
    const location = start.headers.get("location");
    if (start.status !== 202 || location === null) throw await failure(start, `start upload of ${digest}`);
    const url = new URL(location, this.base + "/");
    url.searchParams.set("digest", digest);
    const put = await this.request("PUT", url.href, {
      headers: { "content-type": "application/octet-stream" },
      body: blob.bytes,
    }, "pull,push");
    if (put.status !== 201) throw await failure(put, `upload ${digest}`);
    return "pushed";
  }

  /** Puts the manifest under `tag`; returns its digest, checked against what the registry says. */
  async pushManifest(manifest: Blob, tag: string): Promise<string> {
    const r = await this.request("PUT", `manifests/${tag}`, {
      headers: { "content-type": manifest.descriptor.mediaType },
      body: manifest.bytes,
    }, "pull,push");
    if (r.status !== 201) throw await failure(r, `put manifest ${tag}`);
    const said = r.headers.get("docker-content-digest");
    if (said !== null && said !== manifest.descriptor.digest) {
      throw new RegistryError(`the registry stored the manifest as ${said}, expected ${manifest.descriptor.digest}`);
    }
    return manifest.descriptor.digest;
  }

  /** The manifest `reference` (a tag or digest) names: its bytes, media type and digest. */
  async getManifest(reference: string): Promise<{ bytes: Uint8Array; mediaType: string; digest: string }> {
    const r = await this.request("GET", `manifests/${reference}`, { headers: { accept: OCI_MANIFEST } }, "pull");
    if (r.status !== 200) throw await failure(r, `get manifest ${reference}`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    const digest = digestOf(bytes);
    if (reference.startsWith("sha256:") && digest !== reference) throw new RegistryError(`manifest ${reference} has digest ${digest}`);
    return { bytes, mediaType: r.headers.get("content-type") ?? "", digest };
  }

  /** A blob's bytes, checked against its digest. */
  async getBlob(digest: string): Promise<Uint8Array> {
    const r = await this.request("GET", `blobs/${digest}`, {}, "pull");
    if (r.status !== 200) throw await failure(r, `get blob ${digest}`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    if (digestOf(bytes) !== digest) throw new RegistryError(`blob ${digest} has digest ${digestOf(bytes)}`);
    return bytes;
  }

  /** One API call: `path` below /v2/<name>/ or an absolute URL (an upload Location). */
  private async request(method: string, path: string, init: { headers?: Record<string, string>; body?: Uint8Array }, actions: string): Promise<Response> {
    const url = /^https?:\/\//.test(path) ? path : `${this.base}/v2/${this.ref.repository}/${path}`;
    const send = (authorization?: string) => fetch(url, {
      method,
      headers: { ...init.headers, ...(authorization === undefined ? {} : { authorization }) },
      // Node sends any Uint8Array; the DOM typings want one over an ArrayBuffer.
      body: init.body as Uint8Array<ArrayBuffer> | undefined,
      redirect: "follow",
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
    });
    const known = this.authorization.get(actions);
    const first = await send(known);
    if (first.status !== 401) return first;
    const header = first.headers.get("www-authenticate");
    await first.body?.cancel();
    const authorization = header === null ? undefined : await this.authorize(header, actions);
    const unauthorized = () => {
      const why = this.options.credentials === undefined ? " (no credentials: use --username/--password-stdin or docker login)" : "";
      return new RegistryError(`${method} ${url.replace(/\?.*$/, "")}: 401 Unauthorized${why}`, 401);
    };
    if (authorization === undefined || authorization === known) throw unauthorized();
    this.authorization.set(actions, authorization);
    const second = await send(authorization);
    if (second.status === 401) {
      await second.body?.cancel();
      throw unauthorized();
    }
    return second;
  }

  /** The Authorization header answering a challenge, or undefined when it cannot be met. */
  private async authorize(header: string, actions: string): Promise<string | undefined> {
    const challenge = parseChallenge(header);
    const credentials = this.options.credentials;
    if (challenge?.scheme === "basic") {
      return credentials !== undefined && "password" in credentials ? basicAuthorization(credentials.username, credentials.password) : undefined;
    }
    if (challenge?.scheme !== "bearer") return undefined;
    if (credentials !== undefined && "registryToken" in credentials) return `Bearer ${credentials.registryToken}`;
    const request = tokenRequest(challenge, `repository:${this.ref.repository}:${actions}`, credentials);
    if (request === undefined) return undefined;
    const r = await fetch(request.url, { ...request.init, signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000) });
    if (r.status !== 200) throw await failure(r, `get a token from ${request.url.replace(/\?.*$/, "")}`);
    const token = tokenFromResponse(await r.json().catch(() => undefined));
    if (token === undefined) throw new RegistryError(`the token service at ${request.url.replace(/\?.*$/, "")} answered without a token`);
    return `Bearer ${token}`;
  }
}

/** A refused request as an error naming what was tried and the registry's error codes. */
async function failure(r: Response, what: string): Promise<RegistryError> {
  let detail = "";
  try {
    const body = (await r.json()) as { errors?: { code?: string; message?: string }[] };
    detail = (body.errors ?? []).map((e) => `${e.code ?? ""}${e.message ? ": " + e.message : ""}`).join("; ");
  } catch {
    // Not JSON (HEAD has no body): the status says it.
  }
  return new RegistryError(`${what}: ${r.status} ${r.statusText}${detail === "" ? "" : ` (${detail})`}`, r.status);
}

export interface PushResult {
  /** The manifest's digest, `sha256:...`. */
  digest: string;
  /** Each blob and whether it was uploaded or already there. */
  blobs: { digest: string; size: number; status: "exists" | "pushed" }[];
}

/** Pushes every blob of `image`, then its manifest under `tag`. */
export async function pushImage(client: RegistryClient, image: Image, tag: string): Promise<PushResult> {
  const blobs: PushResult["blobs"] = [];
  for (const blob of imageBlobs(image)) {
    blobs.push({ digest: blob.descriptor.digest, size: blob.descriptor.size, status: await client.pushBlob(blob) });
  }
  const digest = await client.pushManifest(image.manifest, tag);
  return { digest, blobs };
}
