import { test } from "node:test";
import assert from "node:assert/strict";
import { formatReference, isLoopback, parseReference, registryUrl } from "../../src/image/reference.ts";

const D = "sha256:" + "ab".repeat(32);

test("references name a registry, a repository, and optionally a tag and a digest", () => {
  assert.deepEqual(parseReference("oci://ghcr.io/acme/tokenlimit:0.1.0"), { registry: "ghcr.io", repository: "acme/tokenlimit", tag: "0.1.0" });
  assert.deepEqual(parseReference("127.0.0.1:5000/tl"), { registry: "127.0.0.1:5000", repository: "tl" });
  assert.deepEqual(parseReference(`localhost/a/b:v1@${D}`), { registry: "localhost", repository: "a/b", tag: "v1", digest: D });
  assert.deepEqual(parseReference(`r.io:443/a@${D}`), { registry: "r.io:443", repository: "a", digest: D });
  assert.deepEqual(parseReference("tokenlimit:1"), { registry: "docker.io", repository: "library/tokenlimit", tag: "1" });
  assert.deepEqual(parseReference("acme/tokenlimit"), { registry: "docker.io", repository: "acme/tokenlimit" });
});

test("malformed references are refused with the reason", () => {
  assert.deepEqual(parseReference("https://r.io/a"), { error: 'invalid image reference "https://r.io/a": only oci:// or no scheme' });
  assert.deepEqual(parseReference("r.io/Acme"), { error: 'invalid image reference "r.io/Acme": the repository must be lowercase letters, digits and separators (. _ - /)' });
  assert.deepEqual(parseReference("r.io/a@sha256:12"), { error: 'invalid image reference "r.io/a@sha256:12": the digest must be sha256: and 64 lowercase hex digits' });
  assert.deepEqual(parseReference("r.io/a:-x"), { error: 'invalid image reference "r.io/a:-x": bad tag "-x"' });
});

test("a reference prints back as an oci:// URL", () => {
  for (const text of ["oci://ghcr.io/acme/tokenlimit:0.1.0", `oci://localhost:5000/a/b:v1@${D}`, `oci://r.io/a@${D}`]) {
    const ref = parseReference(text);
    assert.ok(!("error" in ref));
    assert.equal(formatReference(ref), text);
  }
});

test("loopback registries are reached over plain HTTP, others over HTTPS unless --insecure", () => {
  for (const host of ["localhost:5000", "127.0.0.1:5000", "[::1]:5000", "127.1.2.3"]) assert.ok(isLoopback(host), host);
  for (const host of ["ghcr.io", "10.0.0.1:5000", "localhost.example.com"]) assert.ok(!isLoopback(host), host);
  const ref = (text: string) => parseReference(text) as Exclude<ReturnType<typeof parseReference>, { error: string }>;
  assert.equal(registryUrl(ref("127.0.0.1:5000/a"), false), "http://127.0.0.1:5000");
  assert.equal(registryUrl(ref("ghcr.io/a"), false), "https://ghcr.io");
  assert.equal(registryUrl(ref("r.local:5000/a"), true), "http://r.local:5000");
  assert.equal(registryUrl(ref("acme/a"), false), "https://registry-1.docker.io");
});
