import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { parseConfig } from "../core/config/parse";
import type { ConfigProblem } from "../core/config/types";
import { CONVERT_USAGE, convertCommand, runConvert, type ConfigValidator, type ConvertDeps } from "./convert";

const EXAMPLE = join(__dirname, "..", "examples", "legacy-configmap-v0.7.yaml");

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

/** In-memory files; the validator accepts everything unless given. */
function deps(files: Record<string, string>, validator?: ConfigValidator): ConvertDeps {
  return {
    readText: async file => {
      const text = files[file];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${file}'`);
      return text;
    },
    loadValidator: async () => validator ?? (() => ({ problems: [], warnings: [] })),
  };
}

const configMap = (config: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: metallb-system\n  name: config\ndata:\n  config: |\n${config.replace(/^(?=.)/gm, "    ")}`;

describe("lodestone convert", () => {
  it("prints the article's ConfigMap as an IPAddressPool and an L2Advertisement", async () => {
    const c = capture();
    expect(await convertCommand(["-f", EXAMPLE], c.io)).toBe(0);
    expect(c.err).toEqual([]);
    expect(c.out.join("\n")).toBe(
      [
        "apiVersion: metallb.io/v1beta1",
        "kind: IPAddressPool",
        "metadata:",
        "  name: metallb",
        "  namespace: metallb-system",
        "spec:",
        "  addresses:",
        "    - 10.0.11.10-10.0.11.254",
        "---",
        "apiVersion: metallb.io/v1beta1",
        "kind: L2Advertisement",
        "metadata:",
        "  name: metallb",
        "  namespace: metallb-system",
        "spec:",
        "  ipAddressPools:",
        "    - metallb",
      ].join("\n"),
    );
  });

  it("quotes strings a YAML 1.1 reader such as kubectl would take for something else", async () => {
    const c = capture();
    const file = "peers:\n- {peer-address: 192.0.2.1, peer-asn: 64501, my-asn: 64500, password: 'on'}\n";
    expect(await runConvert(["--filename=c.yaml"], c.io, deps({ "c.yaml": file }))).toBe(0);
    expect(c.out.join("\n")).toContain('  password: "on"');
  });

  it("takes the config text alone, and a ConfigMap among other objects or in a List", async () => {
    const raw = "address-pools:\n- {name: a, protocol: layer2, addresses: [192.0.2.0/24]}\n";
    const manifest = "apiVersion: v1\nkind: Namespace\nmetadata: {name: metallb-system}\n---\n" + configMap(raw);
    const list = `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: config}\n  data:\n    config: ${JSON.stringify(raw)}\n`;
    for (const file of [raw, manifest, list]) {
      const c = capture();
      expect(await runConvert(["-f", "x"], c.io, deps({ x: file }))).toBe(0);
      expect(c.out.join("\n").match(/^kind: .*$/gm)).toEqual(["kind: IPAddressPool", "kind: L2Advertisement"]);
    }
  });

  it("exits 1 with one line per problem of the legacy configuration, printing no resources", async () => {
    const c = capture();
    const file = configMap("address-pools:\n- name: a\n  addresses: [192.0.2.0/24]\n- protocol: bgp\n  addresses: [198.51.100.0/24]\n");
    expect(await runConvert(["-f", "cm.yaml"], c.io, deps({ "cm.yaml": file }))).toBe(1);
    expect(c.out).toEqual([]);
    expect(c.err).toEqual([
      "ConfigMap/config: address-pools[0].protocol: address pool is missing the protocol field",
      "ConfigMap/config: address-pools[1].name: missing pool name",
    ]);
  });

  it("exits 1 with the problems parseConfig finds in the converted resources", async () => {
    const problem: ConfigProblem = { kind: "BGPPeer", name: "peer-192.0.2.1", field: "spec.routerID", message: "conflict", transient: false };
    const seen: unknown[] = [];
    const validator: ConfigValidator = input => {
      seen.push(input);
      return { problems: [problem], warnings: [] };
    };
    const c = capture();
    const file = "peers:\n- {peer-address: 192.0.2.1, peer-asn: 64501, my-asn: 64500}\n";
    expect(await runConvert(["-f", "c"], c.io, deps({ c: file }, validator))).toBe(1);
    expect(c.out).toEqual([]);
    expect(c.err).toEqual(["BGPPeer/peer-192.0.2.1: spec.routerID: conflict"]);
    expect(seen).toEqual([
      {
        namespace: "metallb-system",
        objects: [{ apiVersion: "metallb.io/v1beta2", kind: "BGPPeer", metadata: { name: "peer-192.0.2.1", namespace: "metallb-system" }, spec: { myASN: 64500, peerASN: 64501, peerAddress: "192.0.2.1" } }],
      },
    ]);
  });

  it("runs the real parseConfig: peers the legacy format allowed but one node cannot hold", async () => {
    const c = capture();
    const file = "peers:\n- {peer-address: 192.0.2.1, peer-asn: 64501, my-asn: 64500, router-id: 192.0.2.10}\n- {peer-address: 192.0.2.2, peer-asn: 64501, my-asn: 64500, router-id: 192.0.2.11}\n";
    const real: ConvertDeps = { ...deps({ c: file }), loadValidator: async () => parseConfig };
    expect(await runConvert(["-f", "c"], c.io, real)).toBe(1);
    expect(c.out).toEqual([]);
    expect(c.err.length).toBe(1);
    expect(c.err[0]).toMatch(/^BGPPeer\/peer-192\.0\.2\.2: spec\.routerID: /);
  });

  it("passes parseConfig's warnings on to stderr and still succeeds", async () => {
    const c = capture();
    const file = "address-pools:\n- {name: a, protocol: layer2, addresses: [192.0.2.0/24]}\n";
    expect(await runConvert(["-f", "c"], c.io, deps({ c: file }, () => ({ problems: [], warnings: ["something to know"] })))).toBe(0);
    expect(c.err).toEqual(["warning: something to know"]);
    expect(c.out.length).toBe(1);
  });

  it("says so when the configuration defines nothing", async () => {
    const c = capture();
    expect(await runConvert(["-f", "c"], c.io, deps({ c: configMap("{}\n") }))).toBe(0);
    expect(c.out).toEqual([]);
    expect(c.err).toEqual(["warning: the configuration defines nothing; no resources to print"]);
  });

  it("exits 2 on a file it cannot read, with the reason", async () => {
    const c = capture();
    expect(await convertCommand(["-f", "/nonexistent/legacy.yaml"], c.io)).toBe(2);
    expect(c.err).toEqual(["/nonexistent/legacy.yaml: cannot read: ENOENT"]);
  });

  it("exits 2 on a YAML syntax error with file:line:column", async () => {
    const c = capture();
    const file = "apiVersion: v1\nkind: ConfigMap\ndata:\n  config: [\n";
    expect(await runConvert(["-f", "bad.yaml"], c.io, deps({ "bad.yaml": file }))).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err).toEqual(["bad.yaml:5:1: Flow sequence in block collection must be sufficiently indented and end with a ]"]);
  });

  it("exits 2 on a file whose aliases would expand without end", async () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? "*a" : `*l${i - 1}`).join(", ")}]`);
    const c = capture();
    expect(await runConvert(["-f", "bomb"], c.io, deps({ bomb: levels.join("\n") + "\n" }))).toBe(2);
    expect(c.err).toEqual(["bomb: Excessive alias count indicates a resource exhaustion attack"]);
  });

  it("exits 2 when the file holds no ConfigMap, or several", async () => {
    const c = capture();
    const other = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n";
    expect(await runConvert(["-f", "d"], c.io, deps({ d: other }))).toBe(2);
    const two = configMap("{}\n") + "---\n" + configMap("{}\n");
    expect(await runConvert(["-f", "t"], c.io, deps({ t: two }))).toBe(2);
    expect(c.err).toEqual([
      "d: no ConfigMap with a config key found (want MetalLB's legacy config ConfigMap, or the text of its config key)",
      "t: holds 2 ConfigMaps with a config key; convert one at a time",
    ]);
  });

  it("exits 1 with a message on empty input (a file of comments and separators included)", async () => {
    for (const text of ["", "\n", "# nothing yet\n---\n"]) {
      const c = capture();
      expect(await runConvert(["-f", "-"], c.io, deps({ "-": text }))).toBe(1);
      expect(c.out).toEqual([]);
      expect(c.err).toEqual(["lodestone convert: <stdin> is empty: nothing to convert"]);
    }
  });

  it("exits 2 on bad arguments with the usage, and 0 on --help", async () => {
    const usage = CONVERT_USAGE;
    expect(usage.split("\n")[0]).toBe("usage: lodestone convert -f FILE");
    for (const [args, first] of [
      [[], "lodestone convert: missing -f FILE"],
      [["-f"], "lodestone convert: flag -f needs a value"],
      [["-f", "x", "extra"], 'lodestone convert: unexpected argument "extra"'],
      [["-f", "x", "--frobnicate"], 'lodestone convert: unknown flag "--frobnicate"'],
    ] as const) {
      const c = capture();
      expect(await runConvert([...args], c.io, deps({}))).toBe(2);
      expect(c.err).toEqual([first, usage]);
    }
    const c = capture();
    expect(await runConvert(["--help"], c.io, deps({}))).toBe(0);
    expect(c.out).toEqual([usage]);
    expect(c.err).toEqual([]);
    const h = capture();
    expect(await runConvert(["-h"], h.io, deps({}))).toBe(0);
    expect(h.out).toEqual([usage]);
  });
});
