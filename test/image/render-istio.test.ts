// `render --format istio` with the options that pin the image and say where and how the
// WasmPlugin runs: the whole output, exactly, for each.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { type RenderOptions, render } from "../../src/commands.ts";
import { FILTER } from "../cli/fixtures.ts";
import { wasmImage } from "../../src/image/manifest.ts";

const POLICY = `apiVersion: kuadrant.io/v1alpha1
kind: TokenRateLimitPolicy
metadata: { name: budgets, namespace: gw-system }
spec:
  targetRef: { group: gateway.networking.k8s.io, kind: Gateway, name: llm-gateway }
  limits:
    free:
      rates: [{ limit: 20000, window: 24h }]
`;
const URL = "oci://ghcr.io/acme/tokenlimit:0.1.0";
const HEX = "7bd64c5ac56b4a8cf65987b33383823fd43763243c7de094ddfe87aae8f1bd08";
const STATS = "after Istio's\n# authentication and authorization filters (phase STATS).";
const GATEWAY_SELECTOR = "  selector:\n    matchLabels:\n      gateway.networking.k8s.io/gateway-name: llm-gateway\n";

/** The rendering of POLICY with the given parts of its spec. */
function expected(parts: { place?: string; attach?: string; source?: string; phase?: string; fail?: string } = {}): string {
  return `# tokenlimit for gw-system/budgets: runs on the gateway's pods ${parts.place ?? STATS}

apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata:
  name: budgets
  namespace: gw-system
  labels:
    app.kubernetes.io/name: tokenlimit
spec:
${parts.attach ?? GATEWAY_SELECTOR}${parts.source ?? `  url: ${URL}\n`}  pluginName: tokenlimit
  phase: ${parts.phase ?? "STATS"}
  failStrategy: ${parts.fail ?? "FAIL_CLOSE"}
  pluginConfig:
    limits:
      free:
        rates:
          - limit: 20000
            window: 24h
`;
}

function istio(options: RenderOptions): Promise<{ code: number; stdout: string; stderr: string }> {
  return render("p.yaml", POLICY, FILTER, { format: "istio", wasmUrl: URL, ...options });
}

test("without new options the WasmPlugin is as before: the Gateway's pods by label, STATS, FAIL_CLOSE", async () => {
  assert.deepEqual(await istio({}), { code: 0, stdout: expected(), stderr: "" });
});

test("--selector key=value (repeated) selects the pods of a classic ingress gateway", async () => {
  const out = await istio({ selector: ["istio=ingressgateway", "app.kubernetes.io/instance=edge"] });
  assert.deepEqual(out, {
    code: 0,
    stdout: expected({ attach: "  selector:\n    matchLabels:\n      istio: ingressgateway\n      app.kubernetes.io/instance: edge\n" }),
    stderr: "",
  });
  assert.deepEqual(await istio({ selector: ["istio"] }), { code: 1, stdout: "", stderr: 'p.yaml: --selector must be key=value, got "istio"\n' });
  assert.deepEqual(await istio({ selector: ["istio=ingressgateway"], gateway: "gw" }), {
    code: 1, stdout: "", stderr: "p.yaml: --selector selects pods by label; it goes without --gateway and --target-refs\n",
  });
});

test("--target-refs attaches to the policy's Gateway (or --gateway) with targetRefs", async () => {
  const refs = (name: string) => `  targetRefs:\n    - group: gateway.networking.k8s.io\n      kind: Gateway\n      name: ${name}\n`;
  assert.deepEqual(await istio({ targetRefs: true }), { code: 0, stdout: expected({ attach: refs("llm-gateway") }), stderr: "" });
  assert.equal((await istio({ targetRefs: true, gateway: "public" })).stdout, expected({ attach: refs("public") }));
});

test("--sha256 and --digest pin the oci:// URL to the image digest and set sha256 to it", async () => {
  const pinned = { source: `  url: ${URL}@sha256:${HEX}\n  sha256: ${HEX}\n` };
  for (const options of [{ sha256: HEX }, { sha256: `sha256:${HEX}` }, { sha256: HEX.toUpperCase() }, { digest: `sha256:${HEX}` }, { digest: `sha256:${HEX}`, sha256: HEX }]) {
    assert.deepEqual(await istio(options), { code: 0, stdout: expected(pinned), stderr: "" }, JSON.stringify(options));
  }
  assert.deepEqual(await istio({ digest: HEX }), { code: 1, stdout: "", stderr: `p.yaml: --digest must be sha256: and 64 lowercase hex digits, got "${HEX}"\n` });
  assert.deepEqual(await istio({ sha256: "abc" }), { code: 1, stdout: "", stderr: 'p.yaml: --sha256 must be 64 hex digits (sha256: optional), got "abc"\n' });
  const other = "0".repeat(64);
  assert.deepEqual(await istio({ digest: `sha256:${HEX}`, sha256: other }), {
    code: 1, stdout: "", stderr: `p.yaml: --sha256 gives sha256:${other}, but --digest gives sha256:${HEX}\n`,
  });
});

test("a URL already pinned by digest sets sha256, and must agree with --sha256", async () => {
  const url = `${URL}@sha256:${HEX}`;
  assert.deepEqual(await istio({ wasmUrl: url }), { code: 0, stdout: expected({ source: `  url: ${url}\n  sha256: ${HEX}\n` }), stderr: "" });
  assert.equal((await istio({ wasmUrl: url, sha256: HEX })).stdout, expected({ source: `  url: ${url}\n  sha256: ${HEX}\n` }));
  assert.deepEqual(await istio({ wasmUrl: url, sha256: "1".repeat(64) }), {
    code: 1, stdout: "", stderr: `p.yaml: --wasm-url is pinned to sha256:${HEX}, but the checksum given is sha256:${"1".repeat(64)}\n`,
  });
});

test("--wasm computes the checksum: for oci://, the digest image push gives the module's image; for https, the module's sha256", async () => {
  const module = readFileSync("build/tokenlimit.wasm");
  const digest = wasmImage(module).manifest.descriptor.digest.slice("sha256:".length);
  const pinModule = { bytes: module, name: "build/tokenlimit.wasm" };
  assert.equal((await istio({ pinModule })).stdout, expected({ source: `  url: ${URL}@sha256:${digest}\n  sha256: ${digest}\n` }));
  const fileSha = createHash("sha256").update(module).digest("hex");
  assert.equal((await istio({ pinModule, wasmUrl: "https://x.io/tl.wasm" })).stdout, expected({ source: `  url: https://x.io/tl.wasm\n  sha256: ${fileSha}\n` }));
  assert.deepEqual(await istio({ pinModule, sha256: "2".repeat(64) }), {
    code: 1, stdout: "", stderr: `p.yaml: --sha256 gives sha256:${"2".repeat(64)}, but --wasm build/tokenlimit.wasm gives sha256:${digest}\n`,
  });
});

test("--sha256 with an https URL sets sha256 and leaves the URL alone", async () => {
  assert.equal((await istio({ wasmUrl: "https://x.io/tl.wasm", sha256: HEX })).stdout, expected({ source: `  url: https://x.io/tl.wasm\n  sha256: ${HEX}\n` }));
});

test("--image-pull-secret names the Secret Istio pulls the image with", async () => {
  assert.equal((await istio({ imagePullSecret: "ghcr-pull" })).stdout, expected({ source: `  url: ${URL}\n  imagePullSecret: ghcr-pull\n` }));
});

test("--failure-strategy FAIL_OPEN lets traffic through without the filter when the module cannot be fetched", async () => {
  assert.equal((await istio({ failureStrategy: "FAIL_OPEN" })).stdout, expected({ fail: "FAIL_OPEN" }));
  assert.equal((await istio({ failureStrategy: "FAIL_CLOSE" })).stdout, expected());
});

test("--phase moves the filter and says where in the comment; AUTHN warns that jwt_authn has not run", async () => {
  assert.equal((await istio({ phase: "AUTHZ" })).stdout, expected({ phase: "AUTHZ", place: "after Istio's\n# authentication filters and before its authorization filters (phase AUTHZ)." }));
  assert.equal((await istio({ phase: "UNSPECIFIED_PHASE" })).stdout, expected({ phase: "UNSPECIFIED_PHASE", place: "at the end of\n# the filter chain, just before the router (phase UNSPECIFIED_PHASE)." }));
  assert.deepEqual(await istio({ phase: "AUTHN" }), {
    code: 0,
    stdout: expected({ phase: "AUTHN", place: "before Istio's\n# authentication filters (phase AUTHN), so before jwt_authn has verified the caller." }),
    stderr: "warning: phase AUTHN runs before jwt_authn: identities read from its verified payload are not there yet\n",
  });
});

test("every option together", async () => {
  const out = await istio({ targetRefs: true, digest: `sha256:${HEX}`, imagePullSecret: "pull", failureStrategy: "FAIL_OPEN", phase: "AUTHZ" });
  assert.deepEqual(out, {
    code: 0,
    stdout: expected({
      attach: "  targetRefs:\n    - group: gateway.networking.k8s.io\n      kind: Gateway\n      name: llm-gateway\n",
      source: `  url: ${URL}@sha256:${HEX}\n  sha256: ${HEX}\n  imagePullSecret: pull\n`,
      phase: "AUTHZ",
      place: "after Istio's\n# authentication filters and before its authorization filters (phase AUTHZ).",
      fail: "FAIL_OPEN",
    }),
    stderr: "",
  });
});

test("the Istio options are refused with the other formats", async () => {
  assert.deepEqual(await render("p.yaml", POLICY, FILTER, { format: "envoy", sha256: HEX, phase: "AUTHZ" }), {
    code: 1, stdout: "", stderr: "--sha256, --phase: only for --format istio\n",
  });
});
