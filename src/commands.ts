// The CLI's commands as functions from input text to output text and exit code, so
// that they are tested without a process. src/cli.ts only parses arguments and does I/O.
import { checkWithFilter } from "./policy/filter-check.ts";
import { type Policy, formatProblem, loadPolicies, policyLabel } from "./policy/manifest.ts";
import { PLACEHOLDER_WASM_URL, type Rendered, renderEnvoy, renderIstio, renderPluginConfig } from "./policy/render.ts";

export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

export const FORMATS = ["plugin-config", "envoy", "istio"] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  format?: Format;
  wasmUrl?: string;
  namespace?: string;
  gateway?: string;
  /** Which policy to render when the file has several: `name` or `namespace/name`. */
  name?: string;
}

/** `tokenlimit render`: one policy from `text` (read from `file`) in the chosen format. */
export function render(file: string, text: string, options: RenderOptions = {}): Output {
  const { policies, problems } = loadPolicies(text);
  if (problems.length > 0) return failure(problems.map((p) => formatProblem(file, p)));
  const chosen = choose(policies, options.name);
  if (typeof chosen === "string") return failure([`${file}: ${chosen}`]);

  const warnings: string[] = [];
  let rendered: Rendered;
  switch (options.format ?? "plugin-config") {
    case "plugin-config":
      rendered = { text: renderPluginConfig(chosen) };
      break;
    case "envoy":
      rendered = renderEnvoy(chosen, options.wasmUrl);
      break;
    case "istio":
      if (options.wasmUrl === undefined) warnings.push(`warning: no --wasm-url given; the WasmPlugin pulls the placeholder ${PLACEHOLDER_WASM_URL}`);
      rendered = renderIstio(chosen, { wasmUrl: options.wasmUrl, namespace: options.namespace, gateway: options.gateway });
      break;
  }
  if ("error" in rendered) return failure([`${file}: ${rendered.error}`]);
  return { code: 0, stdout: rendered.text, stderr: lines(warnings) };
}

export interface ValidateOptions {
  /** The compiled filter, to let it check the configuration too, and its name for messages. */
  wasm?: { bytes: Uint8Array; name: string };
}

/**
 * `tokenlimit validate`: every policy in `text`. Exit code 0 when all are valid (and,
 * with `wasm`, accepted by the filter), else 1 with one problem per stderr line.
 */
export async function validate(file: string, text: string, options: ValidateOptions = {}): Promise<Output> {
  const { policies, problems } = loadPolicies(text);
  const errors = problems.map((p) => formatProblem(file, p));
  const warnings: string[] = [];
  const wasm = options.wasm;
  if (wasm !== undefined) {
    for (const policy of policies) {
      const where = policy.name === undefined ? `${file}: ${wasm.name}` : `${file}: ${policyLabel(policy)}: ${wasm.name}`;
      const verdict = await checkWithFilter(wasm.bytes, JSON.stringify(policy.config));
      if (verdict.failure !== undefined) errors.push(`${where}: ${verdict.failure}`);
      else if (!verdict.accepted && verdict.logs.length === 0) errors.push(`${where}: configuration rejected`);
      for (const log of verdict.logs) (verdict.accepted ? warnings : errors).push(`${where}: ${log}`);
    }
  }
  if (errors.length > 0) return failure([...warnings, ...errors]);
  const names = policies.map(policyLabel).join(", ");
  const by = wasm === undefined ? "" : ` (accepted by ${wasm.name})`;
  return { code: 0, stdout: `${file}: valid: ${names}${by}\n`, stderr: lines(warnings) };
}

function choose(policies: Policy[], name: string | undefined): Policy | string {
  const labels = policies.map(policyLabel).join(", ");
  if (name !== undefined) {
    const found = policies.filter((p) => p.name === name || policyLabel(p) === name);
    if (found.length === 1) return found[0];
    return found.length === 0 ? `no policy named ${name} (found ${labels})` : `several policies named ${name}; use namespace/name`;
  }
  if (policies.length === 1) return policies[0];
  return `${policies.length} policies found (${labels}); choose one with --name`;
}

function failure(errors: string[]): Output {
  return { code: 1, stdout: "", stderr: lines(errors) };
}

function lines(list: string[]): string {
  return list.map((l) => l + "\n").join("");
}
