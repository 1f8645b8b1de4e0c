// The CLI's commands as functions from input text to output text and exit code, so
// that they are tested without a process. src/cli.ts only parses arguments and does I/O.
import { type CheckResult, type FilterModule, checkPolicies, formatReport, isValid } from "./policy/check.ts";
import { type Policy, policyLabel } from "./policy/manifest.ts";
import { PLACEHOLDER_WASM_URL, type Rendered, renderEnvoy, renderIstio, renderPluginConfig } from "./policy/render.ts";

export type { FilterModule } from "./policy/check.ts";

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

/**
 * `tokenlimit render`: one policy from `text` (read from `file`) in the chosen format.
 * A file `validate` finds an error in is not rendered: the same report is printed
 * instead (its warnings are `validate`'s to show).
 */
export async function render(file: string, text: string, filter: FilterModule, options: RenderOptions = {}): Promise<Output> {
  const checked = await checkPolicies(text, filter);
  if (!isValid(checked)) return failure(formatReport(file, checked));
  const chosen = choose(valid(checked), options.name);
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

/**
 * `tokenlimit validate`: every policy in `text`, the manifest by the command and the spec
 * by `filter`, in one pass. Exit code 0 when there are no errors (warnings, e.g. where
 * Kuadrant's CRD would refuse the manifest, go to stderr), else 1 with the report on
 * stderr.
 */
export async function validate(file: string, text: string, filter: FilterModule): Promise<Output> {
  const checked = await checkPolicies(text, filter);
  const report = lines(formatReport(file, checked));
  if (!isValid(checked)) return { code: 1, stdout: "", stderr: report };
  const names = valid(checked).map(policyLabel).join(", ");
  return { code: 0, stdout: `${file}: valid: ${names} (accepted by ${filter.name})\n`, stderr: report };
}

function valid(checked: CheckResult): Policy[] {
  return checked.policies.flatMap((p) => (p.policy === undefined ? [] : [p.policy]));
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
