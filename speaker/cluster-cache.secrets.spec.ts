/** The speaker reads Secrets by name only: the heartbeat key and the BGPPeers' passwordSecrets. */
import { firstValueFrom, filter } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { FakeSpeakerPort } from "../test/kube/fake-speaker-port";
import { ClusterCache, type Snapshot } from "./cluster-cache";
import { recordingLogger } from "../test/observability/recording-logger";

const NS = "metallb-system";
const secret = (name: string) => ({ metadata: { name, namespace: NS }, type: "kubernetes.io/basic-auth", data: { password: "cHc=" } });
const peer = (name: string, passwordSecret?: Record<string, string>) => ({
  apiVersion: "metallb.io/v1beta2",
  kind: "BGPPeer",
  metadata: { name, namespace: NS },
  spec: { myASN: 64500, peerASN: 64501, peerAddress: "192.0.2.1", ...(passwordSecret ? { passwordSecret } : {}) },
});
const secretNames = (s: Snapshot | undefined) => (s?.Secret ?? []).map(o => o.metadata?.name).sort();

let cache: ClusterCache | undefined;
afterEach(() => cache?.stop());

function start(port: FakeSpeakerPort, logs: string[] = []): Promise<void> {
  cache = new ClusterCache({ port, namespace: NS, relistDelayMs: 5, log: recordingLogger("trace", logs).log });
  return cache.start();
}

describe("ClusterCache Secrets", () => {
  it("lists only the heartbeat key and the passwordSecrets BGPPeers name, each by name", async () => {
    const port = new FakeSpeakerPort();
    for (const name of ["memberlist", "bgp-pass", "someone-elses", "other-ns-pass"]) port.apply("Secret", secret(name));
    port.apply("BGPPeer", peer("r1", { name: "bgp-pass" }));
    port.apply("BGPPeer", peer("r2", { name: "other-ns-pass", namespace: "elsewhere" }));
    port.apply("BGPPeer", peer("r3"));
    await start(port);
    expect(secretNames(cache?.current())).toEqual(["bgp-pass", "memberlist"]);
    expect(port.listed.filter(l => l.startsWith("Secret"))).toEqual(["Secret/bgp-pass", "Secret/memberlist"]);
  });

  it("follows the BGPPeers: a newly named Secret is read, one no longer named is dropped", async () => {
    const port = new FakeSpeakerPort();
    for (const name of ["memberlist", "new-pass"]) port.apply("Secret", secret(name));
    await start(port);
    expect(secretNames(cache?.current())).toEqual(["memberlist"]);
    port.apply("BGPPeer", peer("r1", { name: "new-pass" }));
    const added = await firstValueFrom(cache!.snapshots.pipe(filter(s => secretNames(s).includes("new-pass"))));
    expect(secretNames(added)).toEqual(["memberlist", "new-pass"]);
    port.apply("Secret", { ...secret("new-pass"), data: { password: "bmV3" } });
    expect(cache?.current()?.Secret.find(s => s.metadata?.name === "new-pass")?.data).toEqual({ password: "bmV3" });
    port.remove("BGPPeer", peer("r1"));
    const dropped = await firstValueFrom(cache!.snapshots.pipe(filter(s => !secretNames(s).includes("new-pass"))));
    expect(secretNames(dropped)).toEqual(["memberlist"]);
    // Its watch is gone too: a change to it is no longer seen.
    port.apply("Secret", secret("new-pass"));
    expect(secretNames(cache?.current())).toEqual(["memberlist"]);
  });

  it("starts without a Secret it may not read (403), logs it and keeps trying", async () => {
    const port = new FakeSpeakerPort();
    for (const name of ["memberlist", "locked"]) port.apply("Secret", secret(name));
    port.apply("BGPPeer", peer("r1", { name: "locked" }));
    port.forbiddenSecrets.add("locked");
    const logs: string[] = [];
    await start(port, logs);
    expect(secretNames(cache?.current())).toEqual(["memberlist"]);
    expect(logs[0]).toBe('reading Secret metallb-system/locked failed, retrying in 5 ms: ApiError: secrets "locked" is forbidden');
    port.forbiddenSecrets.delete("locked");
    const granted = await firstValueFrom(cache!.snapshots.pipe(filter(s => secretNames(s).includes("locked"))));
    expect(secretNames(granted)).toEqual(["locked", "memberlist"]);
  });
});
