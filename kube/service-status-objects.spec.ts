import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FakeSpeakerPort } from "../test/kube/fake-speaker-port";
import { bgpStatusKind, l2StatusKind, ServiceStatusObjects } from "./service-status-objects";
import type { BgpStatusBody, L2StatusBody } from "./speaker-port";

const NS = "metallb-system";
const l2 = (service: string, interfaces: string[], node = "node-a"): L2StatusBody => {
  const [serviceNamespace = "", serviceName = ""] = service.split("/");
  return { node, serviceName, serviceNamespace, interfaces: interfaces.map(name => ({ name })) };
};
const bgp = (service: string, peers: string[]): BgpStatusBody => {
  const [serviceNamespace = "", serviceName = ""] = service.split("/");
  return { node: "node-a", serviceName, serviceNamespace, peers };
};

describe("ServiceStatusObjects", () => {
  it("creates one object per Service, rewrites it only when the interfaces change, deletes what is no longer kept", async () => {
    const port = new FakeSpeakerPort();
    const objects = new ServiceStatusObjects(l2StatusKind(port), NS, "node-a");
    await objects.adopt();
    await objects.ensure("shop/web", l2("shop/web", ["eth0"]));
    await objects.ensure("shop/web", l2("shop/web", ["eth0"]));
    await objects.ensure("shop/web", l2("shop/web", ["eth0", "eth1"]));
    await objects.ensure("shop/db", l2("shop/db", []));
    await objects.removeAllBut(service => service === "shop/db");
    expect(port.writes.map(w => [w.op, "name" in w ? w.name : ""])).toEqual([
      ["createL2Status", "l2-00000"],
      ["updateL2Status", "l2-00000"],
      ["createL2Status", "l2-00001"],
      ["deleteL2Status", "l2-00000"],
    ]);
    expect([...port.l2Statuses.keys()]).toEqual(["l2-00001"]);
  });

  it("adopts this node's objects from a previous run once, deleting duplicates, and rewrites only what differs", async () => {
    const port = new FakeSpeakerPort();
    await port.createBgpStatus(NS, bgp("shop/web", ["peer-1"]));
    await port.createBgpStatus(NS, bgp("shop/web", ["peer-1"]));
    await port.createBgpStatus(NS, bgp("shop/db", ["peer-1"]));
    await port.createBgpStatus(NS, { ...bgp("shop/other", ["peer-1"]), node: "node-b" });
    port.writes.length = 0;
    const objects = new ServiceStatusObjects(bgpStatusKind(port), NS, "node-a");
    await objects.adopt();
    await objects.adopt();
    await objects.ensure("shop/web", bgp("shop/web", ["peer-1"]));
    await objects.ensure("shop/db", bgp("shop/db", ["peer-1", "peer-2"]));
    expect(port.writes.map(w => [w.op, "name" in w ? w.name : ""])).toEqual([
      ["deleteBgpStatus", "bgp-00001"],
      ["updateBgpStatus", "bgp-00002"],
    ]);
  });

  it("an object created by a sync running when forget() was called is kept on the next adoption, not deleted as its own duplicate", async () => {
    const port = new FakeSpeakerPort();
    const objects = new ServiceStatusObjects(l2StatusKind(port), NS, "node-a");
    await objects.adopt();
    const creating = objects.ensure("shop/web", l2("shop/web", ["eth0"]));
    // The node hears its peers again while the create is on its way (speaker.ts resyncOwn).
    objects.forget();
    await creating;
    await objects.adopt();
    await objects.ensure("shop/web", l2("shop/web", ["eth0"]));
    expect(port.writes.map(w => [w.op, "name" in w ? w.name : ""])).toEqual([["createL2Status", "l2-00000"]]);
    expect([...port.l2Statuses.keys()]).toEqual(["l2-00000"]);
  });

  it("watching its own objects: one deleted or rewritten by someone else asks for a sync, which writes it back once", async () => {
    const port = new FakeSpeakerPort();
    const objects = new ServiceStatusObjects(l2StatusKind(port), NS, "node-a");
    let changes = 0;
    const watch = await objects.watch(() => changes++);
    await objects.adopt();
    await objects.ensure("shop/web", l2("shop/web", ["eth0"]));
    await objects.ensure("shop/db", l2("shop/db", ["eth0"]));
    // Its own writes and another node's objects ask for nothing.
    await port.createL2Status(NS, l2("shop/web", ["eth0"], "node-b"));
    expect(changes).toBe(0);
    port.writes.length = 0;
    await port.deleteL2Status(NS, "l2-00000");
    await port.updateL2Status(NS, "l2-00001", l2("shop/db", ["eth9"]));
    expect(changes).toBe(2);
    await objects.ensure("shop/web", l2("shop/web", ["eth0"]));
    await objects.ensure("shop/db", l2("shop/db", ["eth0"]));
    await objects.ensure("shop/web", l2("shop/web", ["eth0"]));
    await objects.ensure("shop/db", l2("shop/db", ["eth0"]));
    expect(port.writes.map(w => [w.op, "name" in w ? w.name : ""])).toEqual([
      ["deleteL2Status", "l2-00000"],
      ["updateL2Status", "l2-00001"],
      ["createL2Status", "l2-00003"],
      ["updateL2Status", "l2-00001"],
    ]);
    expect([...port.l2Statuses.values()].filter(o => o.status.node === "node-a").map(o => [o.name, o.status.interfaces])).toEqual([
      ["l2-00001", [{ name: "eth0" }]],
      ["l2-00003", [{ name: "eth0" }]],
    ]);
    // A watch error (events may be missed): the next sync reads them all again.
    port.disconnect();
    port.reconnect();
    expect(changes).toBe(3);
    port.writes.length = 0;
    await objects.adopt();
    await objects.ensure("shop/web", l2("shop/web", ["eth0"]));
    expect(port.writes).toEqual([]);
    watch.stop();
  });

  it("an object deleted before its create returned (its DELETED seen first) is created again", async () => {
    const port = new FakeSpeakerPort();
    const objects = new ServiceStatusObjects(l2StatusKind(port), NS, "node-a");
    await objects.watch(() => undefined);
    await objects.adopt();
    const create = port.createL2Status.bind(port);
    let first = true;
    port.createL2Status = async (ns, body) => {
      const name = await create(ns, body);
      if (first) await port.deleteL2Status(ns, name);
      first = false;
      return name;
    };
    await objects.ensure("shop/web", l2("shop/web", ["eth0"]));
    expect([...port.l2Statuses.keys()]).toEqual(["l2-00001"]);
  });

  it("reads a malformed stored status as a fingerprint that differs, so the object is rewritten", async () => {
    const port = new FakeSpeakerPort();
    const stored = { metadata: { name: "x" }, status: { interfaces: [{ name: 7 }, "eth0", { name: "eth1" }], peers: ["a", 3, "b"] } };
    expect(l2StatusKind(port).storedFingerprint(stored)).toBe(",,eth1");
    expect(bgpStatusKind(port).storedFingerprint(stored)).toBe("a,b");
    expect(l2StatusKind(port).storedFingerprint({ status: { interfaces: "eth0" } })).toBe("");
    expect(bgpStatusKind(port).storedFingerprint({})).toBe("");
  });

  it("reads any stored object without throwing, as a string of its string entries (property)", () => {
    const port = new FakeSpeakerPort();
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (interfaces, peers) => {
        const o = { metadata: { name: "x" }, status: { interfaces, peers } };
        const l2Text = l2StatusKind(port).storedFingerprint(o);
        const bgpText = bgpStatusKind(port).storedFingerprint(o);
        expect(typeof l2Text).toBe("string");
        expect(bgpText).toBe(Array.isArray(peers) ? peers.filter(p => typeof p === "string").join(",") : "");
      }),
    );
  });
});
