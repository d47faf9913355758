/**
 * The speaker's Secret reads by name, through kubernetes-fluent-client against the local API server:
 * list and watch with fieldSelector metadata.name see the named Secrets and nothing else.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { K8s, kind } from "kubernetes-fluent-client";
import { firstValueFrom, filter } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer, type RunningApiServer } from "../hack/kube-apiserver/server";
import { bootstrapCluster } from "../hack/local-controller/bootstrap";
import { BGPPeerKind } from "../kube/kinds";
import { ClusterCache } from "./cluster-cache";
import { RestSpeakerPort } from "./rest-speaker-port";

const NS = "metallb-system";
let dir: string;
let api: RunningApiServer;
let cache: ClusterCache | undefined;
const savedKubeconfig = process.env.KUBECONFIG;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lodestone-secrets-"));
  api = await startApiServer({ dir });
  process.env.KUBECONFIG = api.kubeconfig;
  await bootstrapCluster(NS);
});

afterAll(async () => {
  cache?.stop();
  await api?.stop();
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
  rmSync(dir, { recursive: true, force: true });
});

const secret = (name: string, password: string) => ({ metadata: { name, namespace: NS }, type: "kubernetes.io/basic-auth", stringData: { password } });

describe("speaker Secrets by name against the local API server", () => {
  it("sees the heartbeat key and the passwordSecret a BGPPeer names, and no other Secret", async () => {
    for (const [name, pw] of [["memberlist", "k"], ["bgp-pass", "one"], ["unrelated", "private"]] as const) await K8s(kind.Secret).Apply(secret(name, pw) as never, { force: true });
    await K8s(BGPPeerKind).Apply({ metadata: { name: "router", namespace: NS }, spec: { myASN: 64500, peerASN: 64501, peerAddress: "192.0.2.1", passwordSecret: { name: "bgp-pass" } } } as never, { force: true });
    cache = new ClusterCache({ port: new RestSpeakerPort(), namespace: NS, relistDelayMs: 50 });
    await cache.start();
    const names = (s = cache?.current()) => (s?.Secret ?? []).map(o => o.metadata?.name).sort();
    expect(names()).toEqual(["bgp-pass", "memberlist"]);

    // The watch by name hears its Secret change, and not the others.
    await K8s(kind.Secret).Apply(secret("unrelated", "changed") as never, { force: true });
    await K8s(kind.Secret).Apply(secret("bgp-pass", "two") as never, { force: true });
    const changed = await firstValueFrom(cache.snapshots.pipe(filter(s => (s?.Secret.find(o => o.metadata?.name === "bgp-pass")?.data as { password?: string } | undefined)?.password === Buffer.from("two").toString("base64"))));
    expect(names(changed)).toEqual(["bgp-pass", "memberlist"]);
  });
});
