// Helpers to point real clients at the stand-in: a KubeConfig for @kubernetes/client-node
// and a kubeconfig file for kubectl, both plain HTTP to the loopback address.
import { KubeConfig } from "@kubernetes/client-node";

export function kubeConfigFor(url: string, namespace = "default"): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "test", server: url, skipTLSVerify: true }],
    users: [{ name: "test" }],
    contexts: [{ name: "test", cluster: "test", user: "test", namespace }],
    currentContext: "test",
  });
  return kc;
}

export function kubeconfigYaml(url: string, namespace = "default"): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: test",
    "  cluster:",
    `    server: ${url}`,
    "users:",
    "- name: test",
    "  user: {}",
    "contexts:",
    "- name: test",
    "  context:",
    "    cluster: test",
    "    user: test",
    `    namespace: ${namespace}`,
    "current-context: test",
    "",
  ].join("\n");
}

/** Waits until `condition()` holds, checking every few milliseconds; fails after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
