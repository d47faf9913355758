import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSpeakerArgs } from "./args";
import { parseStaticPeers, peersFromPods } from "./speaker-state";

describe("parseSpeakerArgs", () => {
  it("reads defaults from the environment", () => {
    expect(parseSpeakerArgs([], { NODE_NAME: "node-a" })).toEqual({
      ok: true,
      args: { node: "node-a", namespace: "metallb-system", ignoreExcludeLB: false, metricsPort: 7472, metricsHost: "0.0.0.0", heartbeatPort: 7946, bindAddress: "0.0.0.0", partitionPolicy: "availability" },
    });
  });

  it("reads flags, both spellings", () => {
    const r = parseSpeakerArgs(["--ignore-exclude-lb", "--lb-class=gold", "--metrics-port", "9000"], { NODE_NAME: "n", LODESTONE_NAMESPACE: "lb", POD_IP: "192.0.2.5", LODESTONE_SPEAKER_PEERS: "n2=192.0.2.6" });
    expect(r).toEqual({
      ok: true,
      args: { node: "n", namespace: "lb", lbClass: "gold", ignoreExcludeLB: true, metricsPort: 9000, metricsHost: "192.0.2.5", heartbeatPort: 7946, bindAddress: "192.0.2.5", partitionPolicy: "availability", staticPeers: [{ node: "n2", address: "192.0.2.6", port: 7946 }] },
    });
  });

  it.each([
    [[], { POD_IP: "192.0.2.5" }, "192.0.2.5"],
    [[], { POD_IP: "192.0.2.5", LODESTONE_METRICS_HOST: "127.0.0.1" }, "127.0.0.1"],
    [["--metrics-host", "::1"], { POD_IP: "192.0.2.5", LODESTONE_METRICS_HOST: "127.0.0.1" }, "::1"],
    [["--metrics-host=0.0.0.0"], { POD_IP: "192.0.2.5" }, "0.0.0.0"],
  ])("binds the metrics to the node's address (POD_IP) unless told otherwise: %j %j -> %s", (argv, env, metricsHost) => {
    const r = parseSpeakerArgs(argv, { NODE_NAME: "n", ...env });
    expect(r.ok && r.args.metricsHost).toBe(metricsHost);
  });

  it.each([
    [["--partition-policy=majority"], {}, "majority"],
    [["--partition-policy", "majority"], { LODESTONE_PARTITION_POLICY: "availability" }, "majority"],
    [["--partition-policy=availability"], { LODESTONE_PARTITION_POLICY: "majority" }, "availability"],
    [["--partition-policy=availability"], { LODESTONE_PARTITION_POLICY: "quorum" }, "availability"],
    [[], { LODESTONE_PARTITION_POLICY: "majority" }, "majority"],
    [[], { LODESTONE_PARTITION_POLICY: "" }, "availability"],
  ])("reads the partition policy from %j and %j (the flag wins): %s", (argv, env, partitionPolicy) => {
    const r = parseSpeakerArgs(argv, { NODE_NAME: "n", ...env });
    expect(r.ok && r.args.partitionPolicy).toBe(partitionPolicy);
  });

  it.each([
    [[], {}, "NODE_NAME is not set (give the speaker its node name through the downward API: spec.nodeName)"],
    [["--bogus"], { NODE_NAME: "n" }, 'unknown argument "--bogus"'],
    [["--metrics-port", "70000"], { NODE_NAME: "n" }, '--metrics-port needs a port number 0..65535, got "70000"'],
    [["--metrics-port"], { NODE_NAME: "n" }, '--metrics-port needs a port number 0..65535, got ""'],
    [["--metrics-host", "node-a"], { NODE_NAME: "n" }, '--metrics-host needs an IP address, got "node-a"'],
    [["--partition-policy=quorum"], { NODE_NAME: "n" }, '--partition-policy needs availability or majority, got "quorum"'],
    [["--partition-policy", "Majority"], { NODE_NAME: "n" }, '--partition-policy needs availability or majority, got "Majority"'],
    [["--partition-policy"], { NODE_NAME: "n" }, '--partition-policy needs availability or majority, got ""'],
    [["--partition-policy="], { NODE_NAME: "n", LODESTONE_PARTITION_POLICY: "majority" }, '--partition-policy needs availability or majority, got ""'],
    [[], { NODE_NAME: "n", LODESTONE_PARTITION_POLICY: "majority " }, 'LODESTONE_PARTITION_POLICY needs availability or majority, got "majority "'],
  ])("refuses %j with %j", (argv, env, error) => {
    expect(parseSpeakerArgs(argv, env)).toEqual({ ok: false, error });
  });

  it("refuses every partition policy but the two, naming the flag and the value", () => {
    const other = fc.string().filter(s => s !== "availability" && s !== "majority");
    fc.assert(
      fc.property(other, text => {
        expect(parseSpeakerArgs([`--partition-policy=${text}`], { NODE_NAME: "n" })).toEqual({ ok: false, error: `--partition-policy needs availability or majority, got ${JSON.stringify(text)}` });
      }),
    );
  });

  it("never throws on arbitrary arguments", () => {
    fc.assert(fc.property(fc.array(fc.string()), fc.string(), (argv, node) => void parseSpeakerArgs(argv, { NODE_NAME: node })));
  });
});

describe("parseStaticPeers", () => {
  it("reads node=address with optional ports, IPv6 bracketed", () => {
    expect(parseStaticPeers(" a=192.0.2.1, b=192.0.2.2:8000,c=[2001:db8::1]:9000,d=2001:db8::2,bad,=x")).toEqual([
      { node: "a", address: "192.0.2.1", port: 7946 },
      { node: "b", address: "192.0.2.2", port: 8000 },
      { node: "c", address: "2001:db8::1", port: 9000 },
      { node: "d", address: "2001:db8::2", port: 7946 },
    ]);
  });

  it("never throws and gives valid ports", () => {
    fc.assert(fc.property(fc.string(), s => parseStaticPeers(s).every(p => p.port > 0 && p.port < 65536 && p.node.length > 0)));
  });
});

describe("peersFromPods", () => {
  it("takes the other nodes' pods with an IP, skipping terminating ones", () => {
    const pods = [
      { metadata: { name: "s1" }, spec: { nodeName: "node-b" }, status: { podIP: "192.0.2.2" } },
      { metadata: { name: "s0" }, spec: { nodeName: "node-a" }, status: { podIP: "192.0.2.1" } },
      { metadata: { name: "s2" }, spec: { nodeName: "node-c" }, status: {} },
      { metadata: { name: "s3", deletionTimestamp: "2026-11-22T00:00:00Z" }, spec: { nodeName: "node-d" }, status: { podIP: "192.0.2.4" } },
    ];
    expect(peersFromPods(pods, "node-a")).toEqual([{ node: "node-b", address: "192.0.2.2", port: 7946 }]);
  });
});
