// Registry credentials: where they come from (--username/--password-stdin, or the Docker
// config's `auths`, `credHelpers` and `credsStore`) and how they become an Authorization
// header: Basic directly, or a Bearer token from the registry's token service
// (https://distribution.github.io/distribution/spec/auth/token/).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** A user and password (or personal access token), a refresh token, or a registry token used as is. */
export type Credentials =
  | { username: string; password: string }
  | { identityToken: string; username?: string }
  | { registryToken: string };

/** The scheme and parameters of one `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Basic base64(user:password)`. */
export function basicAuthorization(username: string, password: string): string {
  return "Basic " + Buffer.from(`${username}:${password}`, "utf8").toString("base64");
}

/**
 * Parses a `WWW-Authenticate` header value such as
 * `Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a/b:pull"`.
 * Returns undefined when it has no scheme.
 */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s*(.*)$/s.exec(header);
  if (m === null) return undefined;
  const params: Record<string, string> = {};
  const param = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  let p: RegExpExecArray | null;
  while ((p = param.exec(m[2])) !== null && p[0] !== "") {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
  }
  return { scheme: m[1].toLowerCase(), params };
}

/**
 * The request that gets a Bearer token for `scope` (e.g. `repository:acme/tokenlimit:pull,push`)
 * from the realm of a Bearer challenge: GET with Basic credentials (or anonymous), or, with a
 * refresh token, the OAuth2 POST form Docker uses. Undefined for a registry token (used as is)
 * or a challenge without a realm.
 */
export function tokenRequest(challenge: Challenge, scope: string, credentials?: Credentials): { url: string; init: RequestInit } | undefined {
  const realm = challenge.params.realm;
  if (realm === undefined || (credentials !== undefined && "registryToken" in credentials)) return undefined;
  const query = new URLSearchParams();
  if (challenge.params.service !== undefined) query.set("service", challenge.params.service);
  query.set("scope", scope);
  if (credentials !== undefined && "identityToken" in credentials) {
    query.set("grant_type", "refresh_token");
    query.set("refresh_token", credentials.identityToken);
    query.set("client_id", "tokenlimit");
    return { url: realm, init: { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: query.toString() } };
  }
  const headers: Record<string, string> = {};
  if (credentials !== undefined && "password" in credentials) headers.authorization = basicAuthorization(credentials.username, credentials.password);
  return { url: `${realm}${realm.includes("?") ? "&" : "?"}${query}`, init: { method: "GET", headers } };
}

/** The token of a token service's JSON answer (`token`, or OAuth2's `access_token`). */
export function tokenFromResponse(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { token, access_token } = body as { token?: unknown; access_token?: unknown };
  if (typeof token === "string" && token !== "") return token;
  return typeof access_token === "string" && access_token !== "" ? access_token : undefined;
}

/** The keys under which Docker stores a registry's credentials, most specific first. */
export function configKeys(registry: string): string[] {
  if (registry === "docker.io" || registry === "index.docker.io" || registry === "registry-1.docker.io") {
    return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"];
  }
  return [registry, `https://${registry}`, `http://${registry}`];
}

/** The host[:port] of a config key: `https://r.io/v1/` -> `r.io`. */
function keyHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "");
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Runs `docker-credential-<helper> get`; the default is the real helper on the PATH. */
export type HelperRunner = (helper: string, serverUrl: string) => { Username?: string; Secret?: string } | undefined;

const runHelper: HelperRunner = (helper, serverUrl) => {
  const r = spawnSync(`docker-credential-${helper}`, ["get"], { input: serverUrl, encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0 || r.stdout === "") return undefined;
  try {
    return JSON.parse(r.stdout);
  } catch {
    return undefined;
  }
};

/**
 * The credentials a Docker config (the JSON text of `config.json`) holds for `registry`:
 * a credential helper for it (`credHelpers`, else `credsStore`) first, then `auths`.
 * Undefined when it has none (the registry is then used anonymously).
 */
export function credentialsFromDockerConfig(text: string, registry: string, helper: HelperRunner = runHelper): Credentials | undefined {
  let config: DockerConfig;
  try {
    config = JSON.parse(text) as DockerConfig;
  } catch {
    return undefined;
  }
  const keys = configKeys(registry);
  const hosts = new Set(keys.map(keyHost));
  const store = Object.entries(config.credHelpers ?? {}).find(([k]) => hosts.has(keyHost(k)))?.[1] ?? config.credsStore;
  if (store !== undefined && store !== "") {
    const found = helper(store, keys[0]);
    if (found?.Secret !== undefined && found.Secret !== "") {
      // Docker's helpers report a refresh token with the user name "<token>".
      return found.Username === "<token>" ? { identityToken: found.Secret } : { username: found.Username ?? "", password: found.Secret };
    }
  }
  const auths = config.auths ?? {};
  const entry = keys.map((k) => auths[k]).find((e) => e !== undefined)
    ?? Object.entries(auths).find(([k]) => hosts.has(keyHost(k)))?.[1];
  if (entry === undefined) return undefined;
  if (entry.registrytoken) return { registryToken: entry.registrytoken };
  let { username, password } = entry;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  }
  if (entry.identitytoken) return { identityToken: entry.identitytoken, ...(username === undefined ? {} : { username }) };
  return username !== undefined && password !== undefined ? { username, password } : undefined;
}

/** Path of the Docker config: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
}

/** Credentials for `registry` from the user's Docker config, if it exists and has some. */
export function dockerCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  let text: string;
  try {
    text = readFileSync(dockerConfigPath(env), "utf8");
  } catch {
    return undefined;
  }
  return credentialsFromDockerConfig(text, registry);
}
