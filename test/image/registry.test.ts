// Round trip through a real registry (Docker Distribution, Debian's docker-registry, which
// .ci/run installs): push the filter's image, pull it back by digest with plain HTTP
// requests, and compare bytes and digests.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pushCommand } from "../../src/image/command.ts";
import { WASM_CONFIG, WASM_LAYER, wasmImage } from "../../src/image/manifest.ts";
import { type RegistryServer, REGISTRY_BINARY, freePort, registryInstalled, startRegistry } from "./registry-server.ts";

// No credentials from the machine's Docker config: these pushes are anonymous.
const EMPTY_DOCKER_CONFIG = mkdtempSync(join(tmpdir(), "tokenlimit-docker-config-"));
process.env.DOCKER_CONFIG = EMPTY_DOCKER_CONFIG;
after(() => rmSync(EMPTY_DOCKER_CONFIG, { recursive: true, force: true }));

const skip = registryInstalled() ? false : `${REGISTRY_BINARY} is missing (apt-get install docker-registry)`;
const WASM = readFileSync("build/tokenlimit.wasm");
const sha256 = (bytes: Uint8Array) => "sha256:" + createHash("sha256").update(bytes).digest("hex");

let registry: RegistryServer | undefined;
before(async () => {
  if (!skip) registry = await startRegistry();
});
after(async () => {
  await registry?.stop();
});
const host = () => registry!.address;

async function get(path: string, accept?: string): Promise<{ status: number; type: string | null; bytes: Uint8Array }> {
  const r = await fetch(`http://${host()}/v2/${path}`, { headers: accept === undefined ? {} : { accept } });
  return { status: r.status, type: r.headers.get("content-type"), bytes: new Uint8Array(await r.arrayBuffer()) };
}

test("image push uploads the module's image; pulled back by digest, the layer is build/tokenlimit.wasm byte for byte", { skip }, async () => {
  const out = await pushCommand(`${host()}/acme/tokenlimit:0.1.0`, WASM);
  const digest = wasmImage(WASM).manifest.descriptor.digest;
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, `${digest}\noci://${host()}/acme/tokenlimit:0.1.0@${digest}\n`);

  const manifest = await get(`acme/tokenlimit/manifests/${digest}`, "application/vnd.oci.image.manifest.v1+json");
  assert.equal(manifest.status, 200);
  assert.equal(manifest.type, "application/vnd.oci.image.manifest.v1+json");
  assert.equal(sha256(manifest.bytes), digest);
  const parsed = JSON.parse(new TextDecoder().decode(manifest.bytes));
  assert.equal(parsed.config.mediaType, WASM_CONFIG);
  assert.deepEqual(parsed.layers.map((l: { mediaType: string }) => l.mediaType), [WASM_CONFIG, WASM_LAYER]);

  const layer = parsed.layers[1];
  assert.equal(layer.digest, sha256(WASM));
  const blob = await get(`acme/tokenlimit/blobs/${layer.digest}`);
  assert.equal(blob.status, 200);
  assert.ok(Buffer.from(blob.bytes).equals(WASM), "the layer is the module");

  const config = await get(`acme/tokenlimit/blobs/${parsed.config.digest}`);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(config.bytes)), { type: "envoy_proxy", abiVersions: ["proxy_abi_version_0_2_1"], config: { rootIds: ["tokenlimit"] } });

  const byTag = await get("acme/tokenlimit/manifests/0.1.0", "application/vnd.oci.image.manifest.v1+json");
  assert.equal(sha256(byTag.bytes), digest);
});

test("a second push finds the blobs there and only puts the manifest", { skip }, async () => {
  await pushCommand(`${host()}/acme/again:1`, WASM);
  const out = await pushCommand(`oci://${host()}/acme/again:2`, WASM);
  assert.equal(out.code, 0, out.stderr);
  const digest = wasmImage(WASM).manifest.descriptor.digest;
  assert.deepEqual(out.stderr.split("\n").map((l) => l.split(" ")[0]), ["exists", "exists", "pushed", ""]);
  assert.match(out.stderr, new RegExp(`pushed manifest ${digest} as 2\n$`));
});

test("the tokenlimit command pushes with tag latest when the reference has none, reading a password from stdin", { skip }, () => {
  const digest = wasmImage(WASM).manifest.descriptor.digest;
  const r = spawnSync(process.execPath, ["src/tokenlimit.mjs", "image", "push", `${host()}/cli/tokenlimit`, "--wasm", "build/tokenlimit.wasm",
    "--username", "ci", "--password-stdin"], { encoding: "utf8", input: "s3cret\n" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${digest}\noci://${host()}/cli/tokenlimit:latest@${digest}\n`);
});

test("a reference pinned by digest pushes the manifest by digest", { skip }, async () => {
  const digest = wasmImage(WASM).manifest.descriptor.digest;
  const out = await pushCommand(`${host()}/acme/pinned@${digest}`, WASM);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, `${digest}\noci://${host()}/acme/pinned@${digest}\n`);
  const manifest = await get(`acme/pinned/manifests/${digest}`, "application/vnd.oci.image.manifest.v1+json");
  assert.equal(sha256(manifest.bytes), digest);
});

test("a reference pinned to another digest is refused before anything is sent", async () => {
  const other = "sha256:" + "1".repeat(64);
  const out = await pushCommand(`127.0.0.1:1/x@${other}`, WASM);
  assert.deepEqual(out, { code: 1, stdout: "", stderr: `127.0.0.1:1/x@${other}: the reference pins ${other}, but this module's image is ${wasmImage(WASM).manifest.descriptor.digest}\n` });
});

test("a registry that does not answer is reported with the push that failed", async () => {
  const closed = `127.0.0.1:${await freePort()}`;
  const out = await pushCommand(`${closed}/x:1`, WASM);
  assert.equal(out.code, 1);
  assert.match(out.stderr, new RegExp(`^push ${closed}/x:1: ${closed}: fetch failed \\(.*ECONNREFUSED.*\\)\n$`));
});
