import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { buildCommand } from "../../src/image/command.ts";
import { WASM_CONFIG, WASM_LAYER, digestOf, wasmImage } from "../../src/image/manifest.ts";

const TMP = mkdtempSync(join(tmpdir(), "tokenlimit-layout-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** The smallest WebAssembly module: magic and version. */
const EMPTY_MODULE = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
const EMPTY_MODULE_DIGEST = "sha256:93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476";
const CONFIG = '{"type":"envoy_proxy","abiVersions":["proxy_abi_version_0_2_1"],"config":{"rootIds":["tokenlimit"]}}';
const CONFIG_DIGEST = "sha256:d3a171555fa9d6ebd40e39c29f708c0e6188922f76e4ed66cfaab8d03b3a26ec";
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: { mediaType: "application/vnd.module.wasm.config.v1+json", digest: CONFIG_DIGEST, size: 100 },
  layers: [
    { mediaType: "application/vnd.module.wasm.config.v1+json", digest: CONFIG_DIGEST, size: 100, annotations: { "org.opencontainers.image.title": "runtime-config.json" } },
    { mediaType: "application/vnd.module.wasm.content.layer.v1+wasm", digest: EMPTY_MODULE_DIGEST, size: 8, annotations: { "org.opencontainers.image.title": "plugin.wasm" } },
  ],
});
const MANIFEST_DIGEST = "sha256:cedd4b0f2cabe28ccda2eea90185728a5cb57c4e9701794cd61674dfd0e51988";

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p).toString("latin1");
    }
  };
  walk(dir);
  return out;
}

test("the image is Istio's oci variant: two layers, the module's raw bytes under the Wasm layer media type", () => {
  const image = wasmImage(EMPTY_MODULE);
  assert.equal(new TextDecoder().decode(image.manifest.bytes), MANIFEST);
  assert.equal(image.manifest.descriptor.digest, MANIFEST_DIGEST);
  assert.equal(digestOf(image.manifest.bytes), MANIFEST_DIGEST);
  assert.deepEqual(image.layers.map((l) => l.descriptor.mediaType), [WASM_CONFIG, WASM_LAYER]);
  assert.deepEqual(image.layers[1].bytes, EMPTY_MODULE);
  assert.equal(new TextDecoder().decode(image.config.bytes), CONFIG);
});

test("the same module always gives the same manifest digest", () => {
  const module = readFileSync("build/tokenlimit.wasm");
  assert.equal(wasmImage(module).manifest.descriptor.digest, wasmImage(new Uint8Array(module)).manifest.descriptor.digest);
});

test("image build writes exactly oci-layout, index.json and the three blobs, and prints the manifest digest", () => {
  const out = join(TMP, "layout");
  const r = buildCommand(EMPTY_MODULE, { out, tag: "0.1.0" });
  assert.deepEqual(r, { code: 0, stdout: MANIFEST_DIGEST + "\n", stderr: `wrote the OCI image layout ${out} (tag 0.1.0, 5 files)\n` });
  const index = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: MANIFEST_DIGEST, size: 694, annotations: { "org.opencontainers.image.ref.name": "0.1.0" } }],
  };
  assert.deepEqual(files(out), {
    "oci-layout": '{"imageLayoutVersion":"1.0.0"}\n',
    "index.json": JSON.stringify(index) + "\n",
    [`blobs/sha256/${MANIFEST_DIGEST.slice(7)}`]: MANIFEST,
    [`blobs/sha256/${CONFIG_DIGEST.slice(7)}`]: CONFIG,
    [`blobs/sha256/${EMPTY_MODULE_DIGEST.slice(7)}`]: Buffer.from(EMPTY_MODULE).toString("latin1"),
  });
});

test("image build replaces a layout it wrote before, blobs included, and leaves other directories alone", () => {
  const out = join(TMP, "again");
  buildCommand(readFileSync("build/tokenlimit.wasm"), { out, tag: "old" });
  buildCommand(EMPTY_MODULE, { out, tag: "0.1.0" });
  assert.equal(Object.keys(files(out)).length, 5);
  assert.match(files(out)["index.json"], /"0\.1\.0"/);

  const other = join(TMP, "other");
  mkdirSync(other);
  writeFileSync(join(other, "notes.txt"), "mine");
  assert.deepEqual(buildCommand(EMPTY_MODULE, { out: other }), {
    code: 1, stdout: "", stderr: `${other}: exists and is not an OCI image layout; choose another --out\n`,
  });
  assert.deepEqual(files(other), { "notes.txt": "mine" });
});

test("image build refuses bytes that are not a WebAssembly module", () => {
  assert.deepEqual(buildCommand(new TextEncoder().encode("not wasm"), { wasmName: "x.wasm", out: join(TMP, "none") }), {
    code: 1, stdout: "", stderr: "x.wasm: not a WebAssembly module (run npm run build first)\n",
  });
});
