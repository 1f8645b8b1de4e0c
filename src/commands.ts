// The CLI's commands as functions from input text to output text and exit code, so
// that they are tested without a process. src/cli.ts only parses arguments and does I/O.
import { createHash } from "node:crypto";
import { type CheckResult, type FilterModule, checkPolicies, formatPolicyProblems, formatReport, isValid } from "./policy/check.ts";
import { type Policy, policyLabel } from "./policy/manifest.ts";
import { wasmImage } from "./image/manifest.ts";
import {
  type FailStrategy, type IstioOptions, type IstioPhase, PLACEHOLDER_WASM_URL, type Rendered, engineBackendCheck, renderEnvoy,
  renderEnvoyRateLimit, renderIstio, renderLimitador, renderPluginConfig,
} from "./policy/render.ts";

export type { FilterModule } from "./policy/check.ts";

export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

export const FORMATS = ["plugin-config", "envoy", "istio", "limitador", "envoy-ratelimit"] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  format?: Format;
  wasmUrl?: string;
  namespace?: string;
  gateway?: string;
  /** Which policy to render when the file has several: `name` or `namespace/name`. */
  name?: string;
  /** Istio only: `key=value` pod labels for a classic ingress gateway, instead of a Gateway. */
  selector?: string[];
  /** Istio only: attach with targetRefs to the Gateway instead of its pods' label. */
  targetRefs?: boolean;
  /** Istio only: the checksum Istio verifies (for an image, its manifest digest). */
  sha256?: string;
  /** Istio only: the image digest to pin the oci:// URL to, `sha256:...` (same as --sha256 for an image). */
  digest?: string;
  /**
   * Istio only: the module named with --wasm (it also checked the policy), to compute the
   * checksum from (for an oci:// URL, the digest `image push` gives it).
   */
  pinModule?: FilterModule;
  imagePullSecret?: string;
  failureStrategy?: FailStrategy;
  phase?: IstioPhase;
}

/** The options only `--format istio` takes, by their flags. */
const ISTIO_ONLY: [keyof RenderOptions, string][] = [
  ["selector", "--selector"], ["targetRefs", "--target-refs"], ["sha256", "--sha256"], ["digest", "--digest"],
  ["imagePullSecret", "--image-pull-secret"], ["failureStrategy", "--failure-strategy"], ["phase", "--phase"],
];

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
  const format = options.format ?? "plugin-config";
  const misplaced = ISTIO_ONLY.filter(([key]) => options[key] !== undefined && format !== "istio").map(([, flag]) => flag);
  if (misplaced.length > 0) return failure([`${misplaced.join(", ")}: only for --format istio`]);
  switch (format) {
    case "plugin-config":
      rendered = { text: renderPluginConfig(chosen) };
      break;
    case "envoy":
      rendered = renderEnvoy(chosen, options.wasmUrl);
      break;
    case "istio": {
      if (options.wasmUrl === undefined) warnings.push(`warning: no --wasm-url given; the WasmPlugin pulls the placeholder ${PLACEHOLDER_WASM_URL}`);
      if (options.phase === "AUTHN") warnings.push("warning: phase AUTHN runs before jwt_authn: identities read from its verified payload are not there yet");
      const istio = istioOptions(options);
      rendered = "error" in istio ? istio : renderIstio(chosen, istio);
      break;
    }
    case "limitador":
    case "envoy-ratelimit": {
      if (options.wasmUrl !== undefined) return failure([`--wasm-url: not for --format ${format}`]);
      // What the engine cannot count is reported at its line, as validate reports the filter's problems.
      const report = checked.policies.find((p) => p.policy === chosen)!;
      const backend = engineBackendCheck(chosen, format);
      if (backend !== undefined && "problem" in backend) return failure(formatPolicyProblems(file, report, [backend.problem]));
      if (backend !== undefined) warnings.push(backend.warning);
      const engine = format === "limitador" ? renderLimitador(chosen) : renderEnvoyRateLimit(chosen);
      if ("problems" in engine) return failure(formatPolicyProblems(file, report, engine.problems));
      rendered = engine;
      break;
    }
  }
  if ("error" in rendered) return failure([`${file}: ${rendered.error}`]);
  return { code: 0, stdout: rendered.text, stderr: lines(warnings) };
}

/** The WasmPlugin options from the command's: labels parsed, one checksum from --sha256, --digest and --wasm. */
function istioOptions(options: RenderOptions): IstioOptions | { error: string } {
  let selector: Record<string, string> | undefined;
  for (const item of options.selector ?? []) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._/-]*)=(.*)$/.exec(item);
    if (m === null) return { error: `--selector must be key=value, got ${JSON.stringify(item)}` };
    (selector ??= {})[m[1]] = m[2];
  }
  const given: [string, string][] = [];
  if (options.sha256 !== undefined) given.push(["--sha256", options.sha256.replace(/^sha256:/, "").toLowerCase()]);
  if (options.digest !== undefined) {
    if (!/^sha256:[0-9a-f]{64}$/.test(options.digest)) return { error: `--digest must be sha256: and 64 lowercase hex digits, got ${JSON.stringify(options.digest)}` };
    given.push(["--digest", options.digest.slice("sha256:".length)]);
  }
  const module = options.pinModule;
  if (module !== undefined) {
    // For an image, the digest of the image `tokenlimit image push` makes of this module.
    const url = options.wasmUrl ?? PLACEHOLDER_WASM_URL;
    const image = !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^oci:\/\//i.test(url);
    const hex = image ? wasmImage(module.bytes).manifest.descriptor.digest.slice("sha256:".length) : createHash("sha256").update(module.bytes).digest("hex");
    given.push([`--wasm ${module.name}`, hex]);
  }
  const differ = given.find(([, hex]) => hex !== given[0][1]);
  if (differ !== undefined) return { error: `${given[0][0]} gives sha256:${given[0][1]}, but ${differ[0]} gives sha256:${differ[1]}` };
  return {
    wasmUrl: options.wasmUrl, namespace: options.namespace, gateway: options.gateway, selector, targetRefs: options.targetRefs,
    sha256: given[0]?.[1], imagePullSecret: options.imagePullSecret, failStrategy: options.failureStrategy, phase: options.phase,
  };
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
