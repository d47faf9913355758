/**
 * Where the API server is and how to authenticate to it, as kubectl finds them: the first file of
 * KUBECONFIG (its current context: server, CA, bearer token or client certificate), else the Pod's
 * service account (KUBERNETES_SERVICE_HOST/PORT, the mounted token and CA). The speaker's REST
 * client (rest-client.ts) sends with it; nothing here loads a Kubernetes client library.
 *
 * https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/
 * https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { ConnectionSettings } from "../api-connection";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface KubeConnection {
  readonly server: URL;
  /** PEM: the CA that signed the API server's certificate (the system CAs when absent). */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly insecureSkipTlsVerify?: boolean;
  /** The bearer token now (service-account tokens are rotated: read again on each call). */
  readonly token?: () => string;
  /** Where the settings came from, for error messages. */
  readonly source: string;
}

export interface ConnectionSources {
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
}

const realSources: ConnectionSources = { env: process.env, readFile: path => readFileSync(path, "utf8") };

type Entry = Record<string, unknown>;
const obj = (v: unknown): Entry => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Entry) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const named = (list: unknown, name: string | undefined, field: string): Entry | undefined =>
  Array.isArray(list) ? list.map(obj).find(e => e["name"] === name)?.[field] as Entry | undefined : undefined;

/** Inline base64 `<field>-data` or the file `<field>` (relative to the kubeconfig's folder), as PEM text. */
function pem(entry: Entry, field: string, dir: string, read: (path: string) => string): string | undefined {
  const data = str(entry[`${field}-data`]);
  if (data !== undefined) return Buffer.from(data, "base64").toString("utf8");
  const file = str(entry[field]);
  return file === undefined ? undefined : read(file.startsWith("/") ? file : `${dir}/${file}`);
}

/** The connection of a kubeconfig's current context; throws naming the file and the missing field. */
export function connectionFromKubeconfig(path: string, text: string, read: (path: string) => string): KubeConnection {
  const config = obj(parse(text) as unknown);
  const contextName = str(config["current-context"]);
  if (contextName === undefined) throw new Error(`kubeconfig ${path}: no current-context`);
  const context = named(config["contexts"], contextName, "context");
  if (context === undefined) throw new Error(`kubeconfig ${path}: context ${contextName} not found`);
  const cluster = named(config["clusters"], str(context["cluster"]), "cluster");
  if (cluster === undefined) throw new Error(`kubeconfig ${path}: cluster ${String(context["cluster"])} of context ${contextName} not found`);
  const user = obj(named(config["users"], str(context["user"]), "user"));
  const server = str(cluster["server"]);
  if (server === undefined) throw new Error(`kubeconfig ${path}: cluster ${String(context["cluster"])} has no server`);
  for (const unsupported of ["exec", "auth-provider", "username"]) {
    if (user[unsupported] !== undefined) throw new Error(`kubeconfig ${path}: user ${String(context["user"])}: ${unsupported} is not supported here; use a token or a client certificate`);
  }
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  const token = str(user["token"]);
  const tokenFile = str(user["tokenFile"]);
  const ca = pem(cluster, "certificate-authority", dir, read);
  const cert = pem(user, "client-certificate", dir, read);
  const key = pem(user, "client-key", dir, read);
  return {
    server: new URL(server),
    source: `kubeconfig ${path}`,
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(cluster["insecure-skip-tls-verify"] === true ? { insecureSkipTlsVerify: true } : {}),
    ...(token !== undefined ? { token: () => token } : tokenFile !== undefined ? { token: () => read(tokenFile).trim() } : {}),
  };
}

/** KUBECONFIG's first file when set, else the in-cluster service account. */
export function kubeConnection(sources: ConnectionSources = realSources): KubeConnection {
  const kubeconfig = sources.env["KUBECONFIG"]?.split(":").find(p => p !== "");
  if (kubeconfig !== undefined) return connectionFromKubeconfig(kubeconfig, sources.readFile(kubeconfig), sources.readFile);
  const host = sources.env["KUBERNETES_SERVICE_HOST"];
  const port = sources.env["KUBERNETES_SERVICE_PORT"] ?? "443";
  if (host === undefined) throw new Error("no Kubernetes API: KUBECONFIG is not set and this is not a Pod (KUBERNETES_SERVICE_HOST is not set)");
  return {
    server: new URL(`https://${host.includes(":") ? `[${host}]` : host}:${port}`),
    source: `service account ${SERVICE_ACCOUNT_DIR}`,
    ca: sources.readFile(`${SERVICE_ACCOUNT_DIR}/ca.crt`),
    token: () => sources.readFile(`${SERVICE_ACCOUNT_DIR}/token`).trim(),
  };
}

/** The TLS options of an https.Agent for the connection: one place for the REST client and the watches. */
export function tlsOptions(connection: KubeConnection): { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean } {
  return {
    ...(connection.ca !== undefined ? { ca: connection.ca } : {}),
    ...(connection.cert !== undefined ? { cert: connection.cert } : {}),
    ...(connection.key !== undefined ? { key: connection.key } : {}),
    rejectUnauthorized: connection.insecureSkipTlsVerify !== true,
  };
}

/** The watch supervisor's connection settings (api-connection.ts) from a KubeConnection. */
export function connectionSettings(connection: KubeConnection): ConnectionSettings {
  return {
    target: () => {
      const token = connection.token?.();
      const headers: Record<string, string> = token !== undefined ? { Authorization: `Bearer ${token}` } : {};
      return Promise.resolve({ base: connection.server, headers });
    },
    tls: () => Promise.resolve(tlsOptions(connection)),
  };
}
