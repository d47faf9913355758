import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { STATUS_USAGE, statusCommand, type StatusDeps } from "./status";
import type { ClusterSnapshot } from "./status-report";

async function run(args: string[], deps?: StatusDeps): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await statusCommand(args, { out: l => out.push(l), err: l => err.push(l) }, deps);
  return { code, out, err };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lodestone-status-"));
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

/** A kubeconfig naming `server`, as KUBECONFIG. */
function useKubeconfig(server: string): void {
  const path = join(dir, "kubeconfig");
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
  );
  vi.stubEnv("KUBECONFIG", path);
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const snapshot = {
  pools: [{ metadata: { name: "p" }, spec: { addresses: ["192.0.2.0/28"] }, status: { assignedIPv4: 1, availableIPv4: 15, assignedIPv6: 0, availableIPv6: 0 } }],
  services: [
    {
      metadata: { name: "web", namespace: "default", annotations: { "metallb.io/ip-allocated-from-pool": "p" } },
      spec: { type: "LoadBalancer" },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } },
    },
  ],
  l2Statuses: [{ status: { node: "n1", serviceName: "web", serviceNamespace: "default", interfaces: [{ name: "eth0" }] } }],
  bgpStatuses: [],
  peers: [],
} as unknown as ClusterSnapshot;

const model = {
  pools: [{ name: "p", addresses: ["192.0.2.0/28"], ipv4: { used: 1, free: 15 }, ipv6: { used: 0, free: 0 } }],
  services: [{ namespace: "default", name: "web", ips: ["192.0.2.1"], pool: "p", announcedBy: [{ node: "n1", mode: "layer2", interfaces: ["eth0"] }] }],
  bgpSessions: [],
};

describe("lodestone status", () => {
  it("says in one line that the API server is not running (connection refused), naming it", async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    const port = await listen(probe);
    await new Promise(resolve => probe.close(resolve));
    useKubeconfig(`https://127.0.0.1:${port}`);
    expect(await run([])).toEqual({ code: 1, out: [], err: [`lodestone status: cannot reach the API server at https://127.0.0.1:${port}: connection refused (is the API server running?)`] });
  });

  it("prints the API server's own message when it refuses", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(403, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Forbidden", code: 403, message: 'ipaddresspools.metallb.io is forbidden: User "t" cannot list resource "ipaddresspools"' }));
    });
    const port = await listen(server);
    try {
      useKubeconfig(`http://127.0.0.1:${port}`);
      expect(await run([])).toEqual({ code: 1, out: [], err: ['lodestone status: Error from server (Forbidden): ipaddresspools.metallb.io is forbidden: User "t" cannot list resource "ipaddresspools"'] });
    } finally {
      await new Promise(resolve => server.close(resolve));
    }
  });

  it("says so in one line when there is no kubeconfig at all", async () => {
    vi.stubEnv("KUBECONFIG", "");
    vi.stubEnv("HOME", dir);
    expect(await run([])).toEqual({ code: 1, out: [], err: ["lodestone status: no cluster to read: KUBECONFIG is not set and ~/.kube/config does not exist"] });
  });

  it("names a KUBECONFIG file it cannot read", async () => {
    vi.stubEnv("KUBECONFIG", join(dir, "missing"));
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`lodestone status: cannot read the kubeconfig: ENOENT: no such file or directory, open '${join(dir, "missing")}'`]);
  });

  it("prints the same facts as JSON or YAML with -o", async () => {
    useKubeconfig("https://192.0.2.10:6443");
    const withConfig: StatusDeps = {
      loadKubeConfig: () => {
        const kc = new KubeConfig();
        kc.loadFromDefault();
        return kc;
      },
      readSnapshot: async () => snapshot,
    };
    const json = await run(["-o", "json"], withConfig);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out.join("\n"))).toEqual(model);
    const yaml = await run(["--output=yaml"], withConfig);
    expect(parse(yaml.out.join("\n"))).toEqual(model);
    const text = await run([], withConfig);
    expect(text.out[0]).toBe("POOLS");
  });

  it("refuses an unknown output format and stray arguments with exit 2 and the usage", async () => {
    expect(await run(["-o", "xml"])).toEqual({ code: 2, out: [], err: ['lodestone status: unknown output format "xml" (want json or yaml)', STATUS_USAGE] });
    expect(await run(["pools"])).toEqual({ code: 2, out: [], err: ['lodestone status: unexpected argument "pools"', STATUS_USAGE] });
  });
});
