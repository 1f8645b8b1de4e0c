// `tokenlimit image build` and `tokenlimit image push`: the commands as functions (bytes
// in, Output out) and their commander wiring, which src/cli.ts adds with one line.
import { readFileSync } from "node:fs";
import { Command } from "commander";
import type { Output } from "../commands.ts";
import { type Credentials, dockerCredentials } from "./auth.ts";
import { writeLayout } from "./layout.ts";
import { type Image, isWasmModule, wasmImage } from "./manifest.ts";
import { formatReference, parseReference } from "./reference.ts";
import { RegistryClient, RegistryError, pushImage } from "./registry.ts";
import { bundledFilter, packageVersion } from "../install.ts";

export const DEFAULT_WASM = "build/tokenlimit.wasm";
export const DEFAULT_LAYOUT = "build/image";


/** The image of a module, or why these bytes are not one. */
function imageOf(wasm: Uint8Array, name: string): Image | { error: string } {
  return isWasmModule(wasm) ? wasmImage(wasm) : { error: `${name}: not a WebAssembly module (run npm run build first)` };
}

/** `image build`: writes the OCI image layout of `wasm` into `out`; prints the manifest digest. */
export function buildCommand(wasm: Uint8Array, options: { wasmName?: string; out?: string; tag?: string } = {}): Output {
  const image = imageOf(wasm, options.wasmName ?? DEFAULT_WASM);
  if ("error" in image) return { code: 1, stdout: "", stderr: image.error + "\n" };
  const out = options.out ?? DEFAULT_LAYOUT;
  const tag = options.tag ?? packageVersion();
  const written = writeLayout(out, image, tag);
  if ("error" in written) return { code: 1, stdout: "", stderr: written.error + "\n" };
  return {
    code: 0,
    stdout: image.manifest.descriptor.digest + "\n",
    stderr: `wrote the OCI image layout ${out} (tag ${tag}, ${written.files.length} files)\n`,
  };
}

export interface PushOptions {
  wasmName?: string;
  insecure?: boolean;
  /** Explicit credentials; else the Docker config's for the registry, else anonymous. */
  credentials?: Credentials;
}

/**
 * `image push <ref>`: pushes the image of `wasm` (blobs, then the manifest by tag, `latest`
 * when the reference has none) and prints its digest and the pinned `oci://` reference.
 */
export async function pushCommand(refText: string, wasm: Uint8Array, options: PushOptions = {}): Promise<Output> {
  const fail = (message: string): Output => ({ code: 1, stdout: "", stderr: message + "\n" });
  const ref = parseReference(refText);
  if ("error" in ref) return fail(ref.error);
  const image = imageOf(wasm, options.wasmName ?? DEFAULT_WASM);
  if ("error" in image) return fail(image.error);
  const digest = image.manifest.descriptor.digest;
  if (ref.digest !== undefined && ref.digest !== digest) {
    return fail(`${refText}: the reference pins ${ref.digest}, but this module's image is ${digest}`);
  }
  const tag = ref.tag ?? (ref.digest === undefined ? "latest" : undefined);
  const credentials = options.credentials ?? dockerCredentials(ref.registry);
  const client = new RegistryClient(ref, { insecure: options.insecure, credentials });
  try {
    const result = await pushImage(client, image, tag ?? digest);
    const progress = result.blobs.map((b) => `${b.status === "pushed" ? "pushed" : "exists"} ${b.digest} (${b.size} bytes)\n`).join("");
    const pinned = formatReference({ ...ref, ...(tag === undefined ? {} : { tag }), digest: result.digest });
    return { code: 0, stdout: `${result.digest}\n${pinned}\n`, stderr: `${progress}pushed manifest ${result.digest}${tag === undefined ? "" : ` as ${tag}`}\n` };
  } catch (e) {
    const why = e instanceof RegistryError ? e.message : `${client.ref.registry}: ${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ""}`;
    return fail(`push ${refText}: ${why}`);
  }
}

function readModule(file: string): { bytes: Uint8Array } | { error: string } {
  try {
    return { bytes: readFileSync(file) };
  } catch (e) {
    return { error: `${file}: cannot read: ${(e as Error).message}` };
  }
}

function emit(out: Output): void {
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  process.exitCode = out.code;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** The `image` subcommand with `build` and `push`. */
export function imageCommand(): Command {
  const image = new Command("image").description("package the filter as an OCI image Istio pulls, and push it to a registry");
  image
    .command("build")
    .description("write the module's OCI image layout (index.json, oci-layout, blobs/sha256/...) and print its digest")
    .option("--wasm <file>", "the compiled filter (default: the one shipped with tokenlimit)", bundledFilter())
    .option("--out <dir>", "the layout directory", DEFAULT_LAYOUT)
    .option("--tag <tag>", "the tag index.json gives the image", packageVersion())
    .action((opts: { wasm: string; out: string; tag: string }) => {
      const module = readModule(opts.wasm);
      if ("error" in module) return emit({ code: 1, stdout: "", stderr: module.error + "\n" });
      emit(buildCommand(module.bytes, { wasmName: opts.wasm, out: opts.out, tag: opts.tag }));
    });
  image
    .command("push")
    .description("push the module's image with the OCI distribution API; print its digest and the pinned oci:// reference")
    .argument("<ref>", "where to push: [oci://]host[:port]/repository[:tag] (tag latest when none)")
    .option("--wasm <file>", "the compiled filter (default: the one shipped with tokenlimit)", bundledFilter())
    .option("--insecure", "plain HTTP, for a registry without TLS (localhost and 127.0.0.1 always use it)")
    .option("--username <user>", "registry user (default: the Docker config's credentials, else anonymous)")
    .option("--password-stdin", "read the password or token for --username from standard input")
    .action(async (ref: string, opts: { wasm: string; insecure?: boolean; username?: string; passwordStdin?: boolean }) => {
      if ((opts.username === undefined) !== (opts.passwordStdin === undefined)) {
        return emit({ code: 1, stdout: "", stderr: "--username and --password-stdin go together\n" });
      }
      const module = readModule(opts.wasm);
      if ("error" in module) return emit({ code: 1, stdout: "", stderr: module.error + "\n" });
      const credentials = opts.username === undefined ? undefined : { username: opts.username, password: await readStdin() };
      emit(await pushCommand(ref, module.bytes, { wasmName: opts.wasm, insecure: opts.insecure, credentials }));
    });
  return image;
}
