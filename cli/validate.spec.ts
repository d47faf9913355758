import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VALIDATE_USAGE, validateCommand } from "./validate";

const EXAMPLES = join(__dirname, "..", "examples");

async function run(args: string[], stdin = ""): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await validateCommand(args, { out: l => out.push(l), err: l => err.push(l) }, { readStdin: async () => stdin });
  return { code, out, err };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lodestone-validate-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
};

const POOL = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: pool1
  namespace: metallb-system
spec:
  addresses:
  - 192.0.2.0/24
`;

describe("lodestone validate", () => {
  it("accepts the shared examples folder, with a hint for the legacy ConfigMap", async () => {
    const r = await run(["-f", EXAMPLES]);
    expect(r.code).toBe(0);
    expect(r.out).toEqual(["valid: 9 objects (2 metallb.io configuration objects, 7 other objects skipped)"]);
    expect(r.err).toEqual([
      `${EXAMPLES}/legacy-configmap-v0.7.yaml: ConfigMap metallb-system/config looks like a legacy MetalLB configuration: \`lodestone convert -f ${EXAMPLES}/legacy-configmap-v0.7.yaml\` converts it to metallb.io objects`,
    ]);
  });

  it.each(readdirSync(EXAMPLES).filter(f => f.endsWith(".yaml")))("accepts the example %s on its own", async file => {
    expect((await run(["-f", join(EXAMPLES, file)])).code).toBe(0);
  });

  it("reports one line per problem, naming kind, object and field, and exits 1", async () => {
    const file = write(
      "bad.yaml",
      `${POOL}---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: pool2
spec:
  addresses: ["10.0.0.0/33", "192.0.2.128/25"]
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata:
  name: peer1
spec:
  myASN: 0
  peerASN: 64501
  peerAddress: 192.0.2.1
  passwordSecret: {name: missing}
`,
    );
    const r = await run(["-f", file]);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([
      'IPAddressPool/pool2: spec.addresses[0]: invalid CIDR "10.0.0.0/33"',
      "BGPPeer/peer1: spec.myASN: missing local ASN",
      'BGPPeer/peer1: spec.passwordSecret: secret "missing" not found in namespace "metallb-system"',
    ]);
  });

  it("reports overlaps across files of a folder, searched recursively; other files are ignored", async () => {
    write("a/pool1.yaml", POOL);
    write("a/b/pool2.yml", POOL.replace("pool1", "pool2").replace("192.0.2.0/24", "192.0.2.7/32"));
    write("a/notes.txt", "not: [yaml");
    const r = await run(["-f", join(dir, "a")]);
    // Files are read in path order: a/b/pool2.yml comes before a/pool1.yaml.
    expect(r.out).toEqual(['IPAddressPool/pool1: spec.addresses[0]: CIDR "192.0.2.0/24" in pool "pool1" overlaps with already defined CIDR "192.0.2.7/32"']);
    expect(r.code).toBe(1);
  });

  it("resolves passwordSecret from a Secret in the files (data or stringData)", async () => {
    const peer = `apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: peer1}
spec: {myASN: 64500, peerASN: 64501, peerAddress: 192.0.2.1, passwordSecret: {name: bgp}}
`;
    const secret = `---
apiVersion: v1
kind: Secret
metadata: {name: bgp, namespace: metallb-system}
type: kubernetes.io/basic-auth
stringData: {password: hunter2}
`;
    expect((await run(["-f", write("ok.yaml", peer + secret)])).code).toBe(0);
    const wrongType = await run(["-f", write("bad.yaml", peer + secret.replace("kubernetes.io/basic-auth", "Opaque"))]);
    expect(wrongType.out).toEqual(['BGPPeer/peer1: spec.passwordSecret: secret type mismatch on "metallb-system"/"bgp", type "kubernetes.io/basic-auth" is expected']);
  });

  it("reads JSON files and kind: List", async () => {
    const list = { apiVersion: "v1", kind: "List", items: [{ apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "p" }, spec: { addresses: ["192.0.2.0/24"] } }, { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: "l2" } }] };
    const r = await run(["-f", write("list.json", JSON.stringify(list))]);
    expect(r).toEqual({ code: 0, out: ["valid: 2 objects (2 metallb.io configuration objects, 0 other objects skipped)"], err: [] });
  });

  it("checks the namespace against --namespace", async () => {
    const file = write("pool.yaml", POOL);
    expect((await run(["-f", file, "--namespace", "lb"])).out).toEqual(["IPAddressPool/pool1: metadata.namespace: resource must be created in lb namespace"]);
    expect((await run(["-f", file, "--namespace=metallb-system"])).code).toBe(0);
  });

  it("prints warnings on stderr without failing", async () => {
    const r = await run(["-f", write("w.yaml", POOL.replace("kind: IPAddressPool", "kind: AddressPool"))]);
    expect(r.code).toBe(0);
    expect(r.err).toEqual([
      "warning: AddressPool/pool1: the AddressPool kind was removed in MetalLB 0.14 and is ignored: use an IPAddressPool with an L2Advertisement or a BGPAdvertisement",
    ]);
  });

  it("reports an unknown field as a problem naming the closest known field, and exits 1 (the API server would drop the setting)", async () => {
    const r = await run(["-f", write("typo.yaml", POOL.replace("addresses:", "autoAsign: false\n  addresses:"))]);
    expect(r).toEqual({ code: 1, out: ["IPAddressPool/pool1: spec.autoAsign: unknown field (did you mean spec.autoAssign?)"], err: [] });
  });

  it("reads standard input for -f -", async () => {
    expect(await run(["-f", "-"], POOL)).toEqual({ code: 0, out: ["valid: 1 objects (1 metallb.io configuration objects, 0 other objects skipped)"], err: [] });
    const bad = await run(["-f", "-"], POOL.replace("192.0.2.0/24", "192.0.2.0/33"));
    expect(bad).toEqual({ code: 1, out: ['IPAddressPool/pool1: spec.addresses[0]: invalid CIDR "192.0.2.0/33"'], err: [] });
  });

  it("exits 1 with a message when there is nothing to check: an empty file, stdin or folder", async () => {
    expect(await run(["-f", write("empty.yaml", "# nothing yet\n---\n")])).toEqual({ code: 1, out: [], err: [`lodestone validate: no objects found in ${join(dir, "empty.yaml")}: nothing to check`] });
    expect(await run(["-f", "-"], "")).toEqual({ code: 1, out: [], err: ["lodestone validate: no objects found in <stdin>: nothing to check"] });
    mkdirSync(join(dir, "none"));
    write("none/notes.txt", "not yaml");
    expect(await run(["-f", join(dir, "none")])).toEqual({ code: 1, out: [], err: [`lodestone validate: no objects found in ${join(dir, "none")}: nothing to check`] });
  });

  it("refuses a pool of special addresses only and warns about one that overlaps them", async () => {
    const refused = await run(["-f", write("lo.yaml", POOL.replace("192.0.2.0/24", "127.0.0.0/8"))]);
    expect(refused.code).toBe(1);
    expect(refused.out).toEqual([
      "IPAddressPool/pool1: spec.addresses: every address of the pool is one that is never handed out (127.0.0.0/8 loopback): the pool could never serve a Service",
    ]);
    const wide = await run(["-f", write("wide.yaml", POOL.replace("192.0.2.0/24", "::/0"))]);
    expect(wide.code).toBe(0);
    expect(wide.err).toEqual([
      'warning: IPAddressPool/pool1: spec.addresses[0]: "::/0" overlaps addresses that are never handed out (::/128 unspecified; ::1/128 loopback; fe80::/10 link-local; ff00::/8 multicast): they are skipped',
    ]);
  });

  it("exits 2 with file:line:column on a YAML syntax error, the message not ending in a colon", async () => {
    const file = write("broken.yaml", `${POOL}---\napiVersion: v1\nkind: [Service\n`);
    const r = await run(["-f", file]);
    expect(r).toEqual({ code: 2, out: [], err: [`${file}:12:1: Flow sequence in block collection must be sufficiently indented and end with a ]`] });
    const compact = write("compact.yaml", "a: b: c\n");
    expect((await run(["-f", compact])).err).toEqual([`${compact}:1:4: Nested mappings are not allowed in compact mappings`]);
  });

  it("exits 2 with file:line:column on a JSON syntax error", async () => {
    const file = write("broken.json", '{\n  "apiVersion": "v1",\n  "kind": ]\n}\n');
    const r = await run(["-f", file]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(new RegExp(`^${file.replace(/[.]/g, "\\.")}:3:\\d+: `));
  });

  it("exits 2 on a file that does not exist", async () => {
    const r = await run(["-f", join(dir, "nope.yaml")]);
    expect(r).toEqual({ code: 2, out: [], err: [`${join(dir, "nope.yaml")}: cannot read: ENOENT`] });
  });

  it("exits 2 with the usage on stderr on bad arguments", async () => {
    for (const [args, message] of [
      [[], "lodestone validate: no file given (-f PATH, or -f - for stdin)"],
      [["-f"], "lodestone validate: flag -f needs a value"],
      [["--frobnicate"], 'lodestone validate: unknown flag "--frobnicate"'],
      [["-f", "x.yaml", "-x"], 'lodestone validate: unknown flag "-x"'],
      [["x.yaml"], 'lodestone validate: unexpected argument "x.yaml"'],
    ] as const) {
      const r = await run([...args]);
      expect(r).toEqual({ code: 2, out: [], err: [message, VALIDATE_USAGE] });
    }
  });

  it("prints the usage on stdout and exits 0 for -h and --help", async () => {
    expect(VALIDATE_USAGE.split("\n")[0]).toBe("usage: lodestone validate -f PATH [-f PATH...] [-n NAMESPACE]");
    for (const flag of ["-h", "--help"]) expect(await run([flag])).toEqual({ code: 0, out: [VALIDATE_USAGE], err: [] });
  });
});
