import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAgentArgs, parseKeysCommand, parsePeers, parseServicesFile } from "./agent-config";

describe("parseServicesFile", () => {
  it("reads services with canonical IPs; every listed node is a candidate", () => {
    const r = parseServicesFile(JSON.stringify([{ name: "default/web", ips: ["192.0.2.100", "2001:DB8:0::100"], nodes: ["node1", "node2"] }]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [svc] = r.value;
    expect(svc?.ips).toEqual(["192.0.2.100", "2001:db8::100"]);
    expect(svc?.interfaces).toEqual([]);
    expect(svc?.election.nodes.map(n => n.name)).toEqual(["node1", "node2"]);
    expect(svc?.election.advertisements).toEqual([{ nodeSelectors: [] }]);
    expect(svc).not.toHaveProperty("gratuitousIntervalMs");
  });

  it("reads a periodic gratuitous interval", () => {
    const r = parseServicesFile(JSON.stringify([{ name: "default/web", ips: ["192.0.2.100"], nodes: ["node1"], gratuitousIntervalMs: 1000 }]));
    expect(r.ok && r.value[0]?.gratuitousIntervalMs).toBe(1000);
  });

  it.each([
    ["{", /^services file is not JSON: /],
    ["{}", /^services file must be a JSON array$/],
    ["[1]", /^services\[0\]: must be an object$/],
    ['[{"ips":["192.0.2.1"],"nodes":["a"]}]', /^services\[0\]\.name: must be a non-empty string$/],
    ['[{"name":"a","ips":[],"nodes":["a"]}]', /^services\[0\]\.ips: must be a non-empty array of strings$/],
    ['[{"name":"a","ips":["192.0.2.300"],"nodes":["a"]}]', /^services\[0\]\.ips: "192\.0\.2\.300" is not an IP address$/],
    ['[{"name":"a","ips":["192.0.2.1"],"interfaces":"eth0","nodes":["a"]}]', /^services\[0\]\.interfaces: must be an array of strings$/],
    ['[{"name":"a","ips":["192.0.2.1"]}]', /^services\[0\]\.nodes: must be a non-empty array of strings$/],
    ['[{"name":"a","ips":["192.0.2.1"],"nodes":["a"],"gratuitousIntervalMs":0}]', /^services\[0\]\.gratuitousIntervalMs: must be a positive whole number of ms$/],
  ])("refuses %s", (text, message) => {
    const r = parseServicesFile(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });

  it("never throws, whatever the text (property)", () => {
    fc.assert(fc.property(fc.string(), text => void parseServicesFile(text)));
    fc.assert(fc.property(fc.json(), text => void parseServicesFile(text)));
  });
});

describe("parsePeers and parseAgentArgs", () => {
  it("reads NODE=IP pairs", () => {
    expect(parsePeers("node1=192.0.2.11,node2=2001:db8::12")).toEqual({ ok: true, value: [{ node: "node1", address: "192.0.2.11" }, { node: "node2", address: "2001:db8::12" }] });
    expect(parsePeers("node1")).toEqual({ ok: false, error: 'peer "node1": expected NODE=IP' });
    expect(parsePeers("=192.0.2.1")).toEqual({ ok: false, error: 'peer "=192.0.2.1": expected NODE=IP' });
  });

  it("reads the command line", () => {
    const r = parseAgentArgs(["--node", "node1", "--bind", "192.0.2.11", "--key", "00ff", "--peers", "node2=192.0.2.12", "--services", "/tmp/s.json", "--port", "0"]);
    expect(r).toEqual({ ok: true, value: { node: "node1", bind: "192.0.2.11", port: 0, key: Buffer.from([0, 255]), peers: [{ node: "node2", address: "192.0.2.12" }], services: "/tmp/s.json", keyRotation: {} } });
    expect(parseAgentArgs(["--node", "n"])).toEqual({ ok: false, error: "usage: agent.ts --node NAME --bind IP --key HEX --peers NODE=IP,... --services FILE [--port N] [--key-switch-ms N] [--key-retain-ms N]" });
    expect(parseAgentArgs(["--node", "n", "--bind", "b", "--key", "xyz", "--services", "s"])).toEqual({ ok: false, error: "--key: must be hex" });
  });

  it("reads the key rotation timing", () => {
    const base = ["--node", "n", "--bind", "192.0.2.11", "--key", "00ff", "--services", "s"];
    const r = parseAgentArgs([...base, "--key-switch-ms", "300", "--key-retain-ms", "900"]);
    expect(r.ok && r.value.keyRotation).toEqual({ switchAfterMs: 300, retainOldMs: 900 });
    expect(parseAgentArgs([...base, "--key-switch-ms", "-1"])).toEqual({ ok: false, error: "--key-switch-ms: must be a whole number of ms" });
    expect(parseAgentArgs([...base, "--key-retain-ms", "1e3"])).toEqual({ ok: false, error: "--key-retain-ms: must be a whole number of ms" });
  });

  it("never throws on any argv (property)", () => {
    fc.assert(fc.property(fc.array(fc.string(), { maxLength: 12 }), argv => void parseAgentArgs(argv)));
    fc.assert(fc.property(fc.string(), text => void parsePeers(text)));
  });
});

describe("parseKeysCommand", () => {
  const k1 = "11".repeat(16);
  const k2 = "22".repeat(32);
  it("reads secretkey and optional previouskey", () => {
    expect(parseKeysCommand(`keys ${k1}`)).toEqual({ ok: true, value: [Buffer.alloc(16, 0x11)] });
    expect(parseKeysCommand(` keys ${k2},${k1}\n`)).toEqual({ ok: true, value: [Buffer.alloc(32, 0x22), Buffer.alloc(16, 0x11)] });
  });

  it.each([
    ["keys", "expected: keys HEX[,HEX]"],
    ["keys xyz", "expected: keys HEX[,HEX]"],
    [`keys ${k1},`, 'key "": must be hex'],
    [`keys ${k1}1`, `key "${k1}1": must be hex`],
    ["keys 00ff", 'key "00ff": must be at least 16 bytes'],
    [`keys ${k1},${k1},${k1}`, "at most two keys: secretkey and previouskey"],
  ])("refuses %s", (line, error) => {
    expect(parseKeysCommand(line)).toEqual({ ok: false, error });
  });

  it("never throws, and any key it returns is at least 16 bytes (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(fc.stringMatching(/^[0-9a-f]{0,40}$/), { maxLength: 4 }).map(hs => `keys ${hs.join(",")}`)), line => {
        const r = parseKeysCommand(line);
        if (r.ok) for (const k of r.value) expect(k.length).toBeGreaterThanOrEqual(16);
      }),
    );
  });
});
