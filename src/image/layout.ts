// An OCI image layout directory (opencontainers/image-spec, image-layout.md): `oci-layout`,
// `index.json` naming the manifest by tag, and every blob under `blobs/sha256/<hex>`.
// Other tools push it as is, e.g. `oras cp --from-oci-layout dir:TAG host/repo:TAG`,
// `skopeo copy oci:dir:TAG docker://host/repo:TAG`, `crane push dir host/repo:TAG`.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Image, OCI_INDEX, imageBlobs } from "./manifest.ts";

/** Annotation of index.json naming a manifest's tag (image-spec, annotations.md). */
export const REF_NAME = "org.opencontainers.image.ref.name";

/** The files of a layout as path -> bytes, paths relative to the layout's directory. */
export function layoutFiles(image: Image, tag: string): Map<string, Uint8Array> {
  const text = (value: unknown) => new TextEncoder().encode(JSON.stringify(value) + "\n");
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [{ ...image.manifest.descriptor, annotations: { [REF_NAME]: tag } }],
  };
  const files = new Map<string, Uint8Array>();
  files.set("oci-layout", text({ imageLayoutVersion: "1.0.0" }));
  files.set("index.json", text(index));
  for (const blob of [image.manifest, ...imageBlobs(image)]) {
    files.set(`blobs/sha256/${blob.descriptor.digest.slice("sha256:".length)}`, blob.bytes);
  }
  return files;
}

/**
 * Writes the layout into `dir`, creating it. A directory that already holds a layout is
 * replaced; any other non-empty directory is left alone and an error returned.
 */
export function writeLayout(dir: string, image: Image, tag: string): { files: string[] } | { error: string } {
  if (existsSync(dir)) {
    const names = readdirSync(dir);
    if (names.length > 0 && !names.includes("oci-layout")) {
      return { error: `${dir}: exists and is not an OCI image layout; choose another --out` };
    }
    rmSync(join(dir, "blobs"), { recursive: true, force: true });
    rmSync(join(dir, "index.json"), { force: true });
  }
  const files = layoutFiles(image, tag);
  for (const [path, bytes] of files) {
    const full = join(dir, path);
    mkdirSync(join(full, ".."), { recursive: true });
    writeFileSync(full, bytes);
  }
  return { files: [...files.keys()] };
}
