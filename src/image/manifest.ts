// The image tokenlimit publishes: the compiled filter packaged as Istio's Wasm image
// specification describes it (https://github.com/solo-io/wasm/blob/master/spec/README.md,
// the *oci* variant of spec.md), so that a WasmPlugin `url: oci://...` pulls it.
//
// Istio's fetcher (istio/istio pkg/wasm/imagefetcher.go) accepts three shapes: a Docker
// image and the *compat* variant (one tar+gzip layer holding plugin.wasm), and the *oci*
// variant: an OCI image manifest with exactly two layers, one of which has the media type
// application/vnd.module.wasm.content.layer.v1+wasm and is the raw module. We publish the
// *oci* variant: the module's layer is its bytes, so the layer digest is the module's
// sha256 and nothing needs unpacking. The other layer (and the manifest's config) is the
// runtime configuration the spec defines.
//
// Everything here is a pure function of the module's bytes: no timestamps, fixed key
// order, so the same module always gives the same manifest digest.
import { createHash } from "node:crypto";

/** OCI image manifest (opencontainers/image-spec, manifest.md). */
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** OCI image index, the layout's index.json (image-spec, image-index.md). */
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** Wasm image spec, *oci* variant: the runtime configuration (JSON). */
export const WASM_CONFIG = "application/vnd.module.wasm.config.v1+json";
/** Wasm image spec, *oci* variant: the compiled module, uncompressed. */
export const WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm";
/** Annotation naming a layer's file (image-spec, annotations.md). */
export const TITLE = "org.opencontainers.image.title";

/** The Proxy-Wasm ABI the filter is built for, and its root id. */
export const ABI_VERSION = "proxy_abi_version_0_2_1";
export const ROOT_ID = "tokenlimit";

/** A content descriptor (image-spec, descriptor.md). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** A blob and its descriptor. */
export interface Blob {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

/** An image: the manifest's exact bytes (what its digest is of), and every blob it names. */
export interface Image {
  manifest: Blob;
  config: Blob;
  layers: Blob[];
}

/** `sha256:<64 hex>` of `bytes`. */
export function digestOf(bytes: Uint8Array): string {
  return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}

/** True for `sha256:` followed by 64 lowercase hex digits. */
export function isDigest(text: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(text);
}

function blob(mediaType: string, bytes: Uint8Array, annotations?: Record<string, string>): Blob {
  const descriptor: Descriptor = { mediaType, digest: digestOf(bytes), size: bytes.byteLength };
  if (annotations !== undefined) descriptor.annotations = annotations;
  return { descriptor, bytes };
}

/** The runtime configuration of the Wasm image spec for an Envoy filter. */
export function runtimeConfig(): Uint8Array {
  const config = { type: "envoy_proxy", abiVersions: [ABI_VERSION], config: { rootIds: [ROOT_ID] } };
  return new TextEncoder().encode(JSON.stringify(config));
}

/** True when `bytes` start with the WebAssembly magic and version 1. */
export function isWasmModule(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d
    && bytes[4] === 1 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0;
}

/** The image of a compiled module. Does not check that `wasm` is a module (see isWasmModule). */
export function wasmImage(wasm: Uint8Array): Image {
  const configBytes = runtimeConfig();
  const config = blob(WASM_CONFIG, configBytes);
  const layers = [
    blob(WASM_CONFIG, configBytes, { [TITLE]: "runtime-config.json" }),
    blob(WASM_LAYER, wasm, { [TITLE]: "plugin.wasm" }),
  ];
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
  };
  const manifestBlob = blob(OCI_MANIFEST, new TextEncoder().encode(JSON.stringify(manifest)));
  return { manifest: manifestBlob, config, layers };
}

/** Every distinct blob of an image other than the manifest, config first. */
export function imageBlobs(image: Image): Blob[] {
  const seen = new Set<string>();
  return [image.config, ...image.layers].filter((b) => !seen.has(b.descriptor.digest) && seen.add(b.descriptor.digest));
}
