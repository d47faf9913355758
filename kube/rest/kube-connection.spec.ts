import { describe, expect, it } from "vitest";
import { connectionFromKubeconfig, kubeConnection, SERVICE_ACCOUNT_DIR } from "./kube-connection";

const CA = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
const b64 = (s: string): string => Buffer.from(s).toString("base64");

const kubeconfig = (user: string, cluster = `    server: https://192.0.2.10:6443\n    certificate-authority-data: ${b64(CA)}`): string =>
  ["apiVersion: v1", "kind: Config", "clusters:", "- name: lab", "  cluster:", cluster, "users:", "- name: admin", "  user:", user, "contexts:", "- name: other", "  context: {cluster: nowhere, user: nobody}", "- name: lab", "  context:", "    cluster: lab", "    user: admin", "current-context: lab", ""].join("\n");

const noFiles = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
};

describe("connectionFromKubeconfig", () => {
  it("takes the current context's server, inline CA and bearer token", () => {
    const c = connectionFromKubeconfig("/k/config", kubeconfig("    token: abc123"), noFiles);
    expect(c.server.href).toBe("https://192.0.2.10:6443/");
    expect(c.ca).toBe(CA);
    expect(c.token?.()).toBe("abc123");
    expect(c.cert).toBeUndefined();
    expect(c.source).toBe("kubeconfig /k/config");
  });

  it("reads client certificate files relative to the kubeconfig's folder, and a token file", () => {
    const files: Record<string, string> = { "/k/client.crt": "CERT", "/etc/client.key": "KEY", "/k/token": "t0k\n" };
    const c = connectionFromKubeconfig("/k/config", kubeconfig("    client-certificate: client.crt\n    client-key: /etc/client.key\n    tokenFile: /k/token"), p => files[p] ?? noFiles(p));
    expect([c.cert, c.key, c.token?.()]).toEqual(["CERT", "KEY", "t0k"]);
  });

  it("keeps insecure-skip-tls-verify", () => {
    const c = connectionFromKubeconfig("/k/config", kubeconfig("    token: x", "    server: https://192.0.2.10:6443\n    insecure-skip-tls-verify: true"), noFiles);
    expect(c.insecureSkipTlsVerify).toBe(true);
    expect(c.ca).toBeUndefined();
  });

  it("refuses exec plugins and names the file and user", () => {
    expect(() => connectionFromKubeconfig("/k/config", kubeconfig("    exec: {command: aws}"), noFiles)).toThrow(
      "kubeconfig /k/config: user admin: exec is not supported here; use a token or a client certificate",
    );
  });

  it("names what is missing", () => {
    expect(() => connectionFromKubeconfig("/k/c", "apiVersion: v1\n", noFiles)).toThrow("kubeconfig /k/c: no current-context");
    expect(() => connectionFromKubeconfig("/k/c", "current-context: x\ncontexts: []\n", noFiles)).toThrow("kubeconfig /k/c: context x not found");
    expect(() => connectionFromKubeconfig("/k/c", kubeconfig("    token: x", "    certificate-authority-data: eA=="), noFiles)).toThrow("kubeconfig /k/c: cluster lab has no server");
  });
});

describe("kubeConnection", () => {
  it("uses the first file of KUBECONFIG", () => {
    const c = kubeConnection({ env: { KUBECONFIG: "/a/config:/b/config" }, readFile: p => (p === "/a/config" ? kubeconfig("    token: a") : noFiles(p)) });
    expect(c.token?.()).toBe("a");
  });

  it("falls back to the Pod's service account, reading the token on each call", () => {
    let token = "first";
    const files = (p: string): string => (p === `${SERVICE_ACCOUNT_DIR}/ca.crt` ? CA : p === `${SERVICE_ACCOUNT_DIR}/token` ? `${token}\n` : noFiles(p));
    const c = kubeConnection({ env: { KUBERNETES_SERVICE_HOST: "2001:db8::1", KUBERNETES_SERVICE_PORT: "443" }, readFile: files });
    expect(c.server.href).toBe("https://[2001:db8::1]/");
    expect(c.ca).toBe(CA);
    expect(c.token?.()).toBe("first");
    token = "rotated";
    expect(c.token?.()).toBe("rotated");
  });

  it("says where it looked when there is no API", () => {
    expect(() => kubeConnection({ env: {}, readFile: noFiles })).toThrow(
      "no Kubernetes API: KUBECONFIG is not set and this is not a Pod (KUBERNETES_SERVICE_HOST is not set)",
    );
  });
});
