import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { basicAuthorization, credentialsFromDockerConfig, parseChallenge, tokenFromResponse, tokenRequest } from "../../src/image/auth.ts";
import { RegistryClient } from "../../src/image/registry.ts";

test("Basic authorization is base64 of user:password", () => {
  assert.equal(basicAuthorization("ci", "s3cret:x"), "Basic " + Buffer.from("ci:s3cret:x").toString("base64"));
  assert.equal(basicAuthorization("aladdin", "open sesame"), "Basic YWxhZGRpbjpvcGVuIHNlc2FtZQ==");
});

test("a Bearer challenge gives its realm, service and scope; Basic gives its realm", () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.r.io/token",service="r.io",scope="repository:a/b:pull"'), {
    scheme: "bearer", params: { realm: "https://auth.r.io/token", service: "r.io", scope: "repository:a/b:pull" },
  });
  assert.deepEqual(parseChallenge('Basic realm="Registry \\"x\\""'), { scheme: "basic", params: { realm: 'Registry "x"' } });
  assert.deepEqual(parseChallenge("Bearer realm=https://t.io/token, service=t.io"), { scheme: "bearer", params: { realm: "https://t.io/token", service: "t.io" } });
  assert.equal(parseChallenge(""), undefined);
});

test("the token request asks for the push scope, with Basic credentials, or anonymously, or as OAuth2 with a refresh token", () => {
  const challenge = { scheme: "bearer", params: { realm: "https://auth.r.io/token", service: "r.io" } };
  const scope = "repository:acme/tokenlimit:pull,push";
  assert.deepEqual(tokenRequest(challenge, scope, { username: "u", password: "p" }), {
    url: "https://auth.r.io/token?service=r.io&scope=repository%3Aacme%2Ftokenlimit%3Apull%2Cpush",
    init: { method: "GET", headers: { authorization: "Basic dTpw" } },
  });
  assert.deepEqual(tokenRequest(challenge, scope), {
    url: "https://auth.r.io/token?service=r.io&scope=repository%3Aacme%2Ftokenlimit%3Apull%2Cpush",
    init: { method: "GET", headers: {} },
  });
  assert.deepEqual(tokenRequest(challenge, scope, { identityToken: "rt" }), {
    url: "https://auth.r.io/token",
    init: {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "service=r.io&scope=repository%3Aacme%2Ftokenlimit%3Apull%2Cpush&grant_type=refresh_token&refresh_token=rt&client_id=tokenlimit",
    },
  });
  assert.equal(tokenRequest(challenge, scope, { registryToken: "t" }), undefined);
  assert.equal(tokenFromResponse({ token: "a" }), "a");
  assert.equal(tokenFromResponse({ access_token: "b" }), "b");
  assert.equal(tokenFromResponse({}), undefined);
});

test("the Docker config's auths give credentials by registry host, in any of Docker's key forms", () => {
  const config = JSON.stringify({
    auths: {
      "ghcr.io": { auth: Buffer.from("octo:ghp_x").toString("base64") },
      "https://r.example.com/v1/": { username: "u", password: "p" },
      "https://index.docker.io/v1/": { auth: Buffer.from("hub:pw").toString("base64") },
      "tok.io": { registrytoken: "abc" },
      "id.io": { auth: Buffer.from("<token>:").toString("base64"), identitytoken: "refresh" },
    },
  });
  const none = () => undefined;
  assert.deepEqual(credentialsFromDockerConfig(config, "ghcr.io", none), { username: "octo", password: "ghp_x" });
  assert.deepEqual(credentialsFromDockerConfig(config, "r.example.com", none), { username: "u", password: "p" });
  assert.deepEqual(credentialsFromDockerConfig(config, "docker.io", none), { username: "hub", password: "pw" });
  assert.deepEqual(credentialsFromDockerConfig(config, "tok.io", none), { registryToken: "abc" });
  assert.deepEqual(credentialsFromDockerConfig(config, "id.io", none), { identityToken: "refresh", username: "<token>" });
  assert.equal(credentialsFromDockerConfig(config, "quay.io", none), undefined);
  assert.equal(credentialsFromDockerConfig("not json", "ghcr.io", none), undefined);
});

test("a credential helper for the registry wins over auths", () => {
  const config = JSON.stringify({ credHelpers: { "123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login" }, credsStore: "desktop", auths: { "ghcr.io": { username: "a", password: "b" } } });
  const asked: string[] = [];
  const helper = (name: string, server: string) => {
    asked.push(`${name} ${server}`);
    return name === "ecr-login" ? { Username: "AWS", Secret: "ecr-pw" } : undefined;
  };
  assert.deepEqual(credentialsFromDockerConfig(config, "123.dkr.ecr.us-east-1.amazonaws.com", helper), { username: "AWS", password: "ecr-pw" });
  assert.deepEqual(credentialsFromDockerConfig(config, "ghcr.io", helper), { username: "a", password: "b" });
  assert.deepEqual(asked, ["ecr-login 123.dkr.ecr.us-east-1.amazonaws.com", "desktop ghcr.io"]);
});

test("the client answers a Bearer challenge with a token for the repository's scope, once per scope", async () => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    seen.push(`${req.method} ${url.pathname}${url.search} ${req.headers.authorization ?? "-"}`);
    if (url.pathname === "/token") {
      res.setHeader("content-type", "application/json");
      return res.end(JSON.stringify({ token: req.headers.authorization === basicAuthorization("u", "p") ? "T1" : "anon" }));
    }
    if (req.headers.authorization !== "Bearer T1") {
      res.statusCode = 401;
      res.setHeader("www-authenticate", `Bearer realm="http://127.0.0.1:${(server.address() as AddressInfo).port}/token",service="test"`);
      return res.end();
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const client = new RegistryClient({ registry: `127.0.0.1:${port}`, repository: "acme/tl" }, { credentials: { username: "u", password: "p" } });
    const digest = "sha256:" + "0".repeat(64);
    assert.equal(await client.hasBlob(digest), false);
    assert.equal(await client.hasBlob(digest), false);
    assert.deepEqual(seen, [
      `HEAD /v2/acme/tl/blobs/${digest} -`,
      `GET /token?service=test&scope=repository%3Aacme%2Ftl%3Apull ${basicAuthorization("u", "p")}`,
      `HEAD /v2/acme/tl/blobs/${digest} Bearer T1`,
      `HEAD /v2/acme/tl/blobs/${digest} Bearer T1`,
    ]);
    const anonymous = new RegistryClient({ registry: `127.0.0.1:${port}`, repository: "acme/tl" });
    await assert.rejects(anonymous.hasBlob(digest), /401 Unauthorized \(no credentials: use --username\/--password-stdin or docker login\)/);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
