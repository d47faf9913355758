import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { objectPath, refOf, type Manifest } from "../deploy/deploy-port";
import { install } from "../deploy/install";
import { prepare } from "../deploy/prerequisites";
import { RecordingDeployPort } from "../test/deploy/testing";
import { yamlObjects } from "./input";
import { manifestsCommand } from "./manifests";

// The shape of `pepr build`'s dist/pepr-module-lodestone.yaml, cut to a few of its objects.
const PEPR = `apiVersion: v1
kind: Namespace
metadata: {name: pepr-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pepr-lodestone, namespace: pepr-system}
spec: {template: {spec: {containers: [{name: server, env: [{name: PEPR_WATCH_MODE, value: "false"}]}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pepr-lodestone-watcher, namespace: pepr-system}
spec: {template: {spec: {containers: [{name: watcher, env: [{name: PEPR_WATCH_MODE, value: "true"}, {name: LODESTONE_SPEAKER_IMAGE, value: old}]}]}}}
`;

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const readText = async (path: string) => {
    if (path !== "dist/pepr-module-lodestone.yaml") throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    return PEPR;
  };
  const code = await manifestsCommand(args, { out: l => out.push(l), err: l => err.push(l) }, { readText, env });
  return { code, out: out.join("\n"), err };
}

const printed = (text: string): Manifest[] => parseAllDocuments(text).map(d => d.toJSON() as Manifest);
type Container = { image?: string; env?: { name: string; value?: string }[] };
const containers = (m: Manifest | undefined): Container[] => (m as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers;
const find = (objects: Manifest[], kind: string, name: string) => objects.find(o => o.kind === kind && o.metadata.name === name);

describe("lodestone manifests", () => {
  it("prints what lodestone install and the controller's watcher apply, object for object, but the random heartbeat key", async () => {
    const r = await run(["--speaker-image", "registry.example/speaker:1"]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const manifest = printed(r.out);

    // lodestone install: prepare, then Pepr's manifest; then the watcher's install at its start.
    const port = new RecordingDeployPort();
    await prepare(port, "metallb-system", () => Buffer.alloc(32, 1));
    for (const m of yamlObjects({ name: "pepr", text: PEPR }) as Manifest[]) await port.apply(m);
    await install(port, { namespace: "metallb-system", image: "registry.example/speaker:1", sleep: async () => {} });
    const installed = [...port.objects.keys()].filter(p => p !== "/api/v1/namespaces/metallb-system/secrets/memberlist").sort();

    expect(manifest.map(m => objectPath(refOf(m))).sort()).toEqual(installed);
    for (const m of manifest) {
      const theirs = port.objects.get(objectPath(refOf(m))) as Manifest;
      if (m.kind === "Deployment") continue; // the env below is the one difference, on purpose
      expect(m, objectPath(refOf(m))).toEqual(theirs);
    }
  });

  it("points the speaker DaemonSet and the watcher at one image, so the watcher's restart changes nothing", async () => {
    const r = await run(["--speaker-image", "registry.example/speaker:1", "--lb-class", "lodestone", "--partition-policy", "majority", "-n", "lb"]);
    const manifest = printed(r.out);
    expect(containers(find(manifest, "DaemonSet", "lodestone-speaker"))[0]?.image).toBe("registry.example/speaker:1");
    expect(containers(find(manifest, "Deployment", "pepr-lodestone-watcher"))[0]?.env).toEqual([
      { name: "PEPR_WATCH_MODE", value: "true" },
      { name: "LODESTONE_NAMESPACE", value: "lb" },
      { name: "LODESTONE_SPEAKER_IMAGE", value: "registry.example/speaker:1" },
      { name: "LODESTONE_LB_CLASS", value: "lodestone" },
      { name: "LODESTONE_PARTITION_POLICY", value: "majority" },
    ]);
    expect(find(manifest, "Secret", "memberlist")).toBeUndefined();
    expect(find(manifest, "Role", "lodestone-controller")?.metadata.namespace).toBe("lb");
  });

  it("takes the image from LODESTONE_SPEAKER_IMAGE when no flag names one", async () => {
    const manifest = printed((await run([], { LODESTONE_SPEAKER_IMAGE: "local/speaker:dev" })).out);
    expect(containers(find(manifest, "DaemonSet", "lodestone-speaker"))[0]?.image).toBe("local/speaker:dev");
  });

  it("says how to build Pepr's manifest when it is missing, and refuses an unknown partition policy", async () => {
    expect(await run(["-f", "nope.yaml"])).toEqual({ code: 1, out: "", err: ["lodestone manifests: nope.yaml not found: build it with npx pepr@1.1.4 build (docs/install.md)"] });
    expect(await run(["--partition-policy", "majorty"])).toEqual({
      code: 1,
      out: "",
      err: ['lodestone manifests: --partition-policy needs availability or majority, got "majorty"'],
    });
  });
});
