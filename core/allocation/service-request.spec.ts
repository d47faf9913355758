import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIP, parseIP } from "../net/ip";
import { parseServiceRequest, type ParsedService, type ServiceRequest } from "./service-request";
import { makeService, type ServiceOptions } from "../../test/allocation/testing";

const parse = (name: string, o: ServiceOptions = {}, lbClass?: string): ParsedService =>
  parseServiceRequest(makeService(name, o), lbClass);
const req = (name: string, o: ServiceOptions = {}): ServiceRequest => {
  const p = parse(name, o);
  if (!p.handled) throw new Error(p.message);
  return p.request;
};

describe("parseServiceRequest", () => {
  it("handles only type LoadBalancer", () => {
    expect(parse("a", { type: "NodePort" })).toEqual({
      handled: false,
      reason: "NotLoadBalancer",
      message: "spec.type is not LoadBalancer",
    });
  });

  it("applies the loadBalancerClass rule with and without a configured class", () => {
    expect(parse("a", { loadBalancerClass: "x" })).toEqual({
      handled: false,
      reason: "OtherClass",
      message: 'spec.loadBalancerClass is "x" and this controller handles services without a class',
    });
    expect(parse("a", {}, "lodestone")).toEqual({
      handled: false,
      reason: "OtherClass",
      message: 'spec.loadBalancerClass is "", not "lodestone"',
    });
    expect(parse("a", { loadBalancerClass: "lodestone" }, "lodestone").handled).toBe(true);
  });

  it("lowercases every port's protocol, whatever it is called (a name Object.prototype has too)", () => {
    const service = makeService("ports");
    (service.spec as Record<string, unknown>).ports = [{ port: 53, protocol: "UDP" }, { port: 80 }, { port: 1, protocol: "__proto__" }, { port: 2, protocol: "Sctp" }];
    const r = parseServiceRequest(service);
    if (!r.handled) throw new Error(r.message);
    expect(r.request.ports).toEqual([
      { protocol: "udp", port: 53 },
      { protocol: "tcp", port: 80 },
      { protocol: "__proto__", port: 1 },
      { protocol: "sctp", port: 2 },
    ]);
  });

  it("reads the example Service nginxlb", () => {
    const r = req("nginxlb", { loadBalancerIP: "192.168.172.161", selector: { app: "nginx" } });
    expect(r.key).toBe("default/nginxlb");
    expect(r.requestedIPs.map(formatIP)).toEqual(["192.168.172.161"]);
    expect(r.ports).toEqual([{ protocol: "tcp", port: 80 }]);
    expect(r.families).toEqual(["IPv4"]);
    expect(r.familyPolicy).toBe("SingleStack");
    expect(r.backendKey).toBe("");
    expect(r.sharingKey).toBe("");
    expect(r.problem).toBeUndefined();
  });

  it("takes the new annotation keys over the deprecated ones and reports the deprecated ones", () => {
    const r = req("a", {
      annotations: {
        "metallb.io/address-pool": "new",
        "metallb.universe.tf/address-pool": "old",
        "metallb.universe.tf/allow-shared-ip": "k",
        "metallb.universe.tf/loadBalancerIPs": "192.0.2.1, 2001:db8::1",
      },
      clusterIPs: ["10.96.0.1", "fd00::1"],
      policy: "RequireDualStack",
    });
    expect(r.requestedPool).toBe("new");
    expect(r.sharingKey).toBe("k");
    expect(r.requestedIPs.map(formatIP)).toEqual(["192.0.2.1", "2001:db8::1"]);
    expect(r.deprecatedAnnotations).toEqual([
      "metallb.universe.tf/address-pool",
      "metallb.universe.tf/allow-shared-ip",
      "metallb.universe.tf/loadBalancerIPs",
    ]);
  });

  it("builds the backend key from the selector only for externalTrafficPolicy Local", () => {
    expect(req("a", { etpLocal: true, selector: { b: "2", a: "1" } }).backendKey).toBe("a=1,b=2");
    expect(req("a", { selector: { b: "2" } }).backendKey).toBe("");
  });

  it.each([
    [{ loadBalancerIP: "192.0.2.1", annotations: { "metallb.io/loadBalancerIPs": "192.0.2.1" } },
      "spec.loadBalancerIP and the metallb.io/loadBalancerIPs annotation cannot both be set"],
    [{ loadBalancerIP: "192.0.2.300" }, 'invalid IP "192.0.2.300" in spec.loadBalancerIP'],
    [{ annotations: { "metallb.io/loadBalancerIPs": "192.0.2.1,nope" } }, 'invalid IP "nope" in annotation metallb.io/loadBalancerIPs'],
    [{ annotations: { "metallb.io/loadBalancerIPs": "192.0.2.1,192.0.2.2" } },
      "annotation metallb.io/loadBalancerIPs holds two IPv4 addresses; two IPs must be one IPv4 and one IPv6"],
    [{ annotations: { "metallb.universe.tf/loadBalancerIPs": "192.0.2.1,2001:db8::1,192.0.2.3" } },
      "annotation metallb.universe.tf/loadBalancerIPs holds 3 IPs; at most 2 (one IPv4 and one IPv6) are allowed"],
    [{ annotations: { "metallb.io/loadBalancerIPs": "not-an-ip,999.1.1.1,," } },
      'invalid IPs "not-an-ip", "999.1.1.1", "" (entry 3), "" (entry 4) in annotation metallb.io/loadBalancerIPs; it holds 4 entries, at most 2 (one IPv4 and one IPv6) are allowed'],
    [{ annotations: { "metallb.io/loadBalancerIPs": "192.0.2.1," } }, 'invalid IP "" (entry 2) in annotation metallb.io/loadBalancerIPs'],
    [{ annotations: { "metallb.io/loadBalancerIPs": "" } }, 'invalid IP "" (entry 1) in annotation metallb.io/loadBalancerIPs'],
    [{ annotations: { "metallb.io/loadBalancerIPs": "192.0.2.01, fe80::1%eth0" } },
      'invalid IPs "192.0.2.01", "fe80::1%eth0" in annotation metallb.io/loadBalancerIPs'],
    [{ annotations: { "metallb.io/loadBalancerIPs": `192.0.2.1,${"x".repeat(100)}` } },
      `invalid IP "${"x".repeat(64)}..." in annotation metallb.io/loadBalancerIPs`],
  ] as Array<[ServiceOptions, string]>)("refuses bad requested IPs: %j", (o, message) => {
    expect(req("a", o).problem).toEqual({ reason: "InvalidRequest", message });
  });

  it("names every invalid entry of the loadBalancerIPs annotation, whatever it holds (property)", () => {
    const entry = fc.oneof(fc.constantFrom("192.0.2.1", "2001:db8::1", "", " ", "999.1.1.1", "a,b"), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 6 }), entries => {
        const value = entries.join(",");
        const texts = value.split(",").map(t => t.trim());
        const problem = req("a", { annotations: { "metallb.io/loadBalancerIPs": value } }).problem;
        texts.forEach((t, i) => {
          if (parseIP(t)) return;
          expect(problem?.message).toContain(t === "" ? `"" (entry ${i + 1})` : JSON.stringify(t));
        });
        if (texts.every(t => parseIP(t)) && texts.length <= 2) expect(problem?.message ?? "").not.toMatch(/^invalid IP/);
      }),
      { numRuns: 500 },
    );
  });

  it("needs a ClusterIP, and two for RequireDualStack", () => {
    const noIP = makeService("a");
    const spec = noIP.spec as Record<string, unknown>;
    delete spec.clusterIP;
    delete spec.clusterIPs;
    delete spec.ipFamilies;
    const p = parseServiceRequest(noIP);
    expect(p.handled && p.request.problem).toEqual({
      reason: "NoClusterIP",
      message: "the service has no ClusterIP, so its IP family is unknown",
    });
    expect(req("a", { policy: "RequireDualStack" }).problem).toEqual({
      reason: "NotEnoughClusterIPs",
      message: "not enough clusterips: RequireDualStack needs an IPv4 and an IPv6 ClusterIP, the service has 1",
    });
  });

  it("takes families from ClusterIPs, primary first", () => {
    expect(req("a", { clusterIPs: ["fd00::1", "10.96.0.1"], policy: "PreferDualStack" }).families).toEqual(["IPv6", "IPv4"]);
  });

  it("reads status IPs and skips hostnames", () => {
    const svc = makeService("a", { statusIPs: ["192.0.2.7"] });
    ((svc.status as { loadBalancer: { ingress: unknown[] } }).loadBalancer.ingress).push({ hostname: "x" });
    const p = parseServiceRequest(svc);
    expect(p.handled && p.request.statusIPs.map(formatIP)).toEqual(["192.0.2.7"]);
  });

  it("never throws, whatever the object (property)", () => {
    const anyService = fc.record({
      metadata: fc.oneof(fc.anything(), fc.record({ name: fc.string(), namespace: fc.anything(), annotations: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.anything())) })),
      spec: fc.oneof(fc.anything(), fc.record({
        type: fc.constantFrom("LoadBalancer", "ClusterIP", 3),
        loadBalancerIP: fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.anything()),
        clusterIPs: fc.oneof(fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string())), fc.anything()),
        ports: fc.anything(),
        selector: fc.anything(),
        externalTrafficPolicy: fc.constantFrom("Local", "Cluster", undefined),
      })),
      status: fc.anything(),
    });
    fc.assert(
      fc.property(fc.oneof(anyService, fc.anything()), s => {
        const p = parseServiceRequest(s);
        expect(typeof p.handled).toBe("boolean");
      }),
      { numRuns: 1000 },
    );
  });

  it("accepts any valid IPv4/IPv6 pair in the annotation and refuses anything else (property)", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV6(), (v4, v6) => {
        const r = req("a", { annotations: { "metallb.io/loadBalancerIPs": `${v4},${v6}` } });
        if (parseIP(v6)?.family === "IPv4") {
          // An IPv4-mapped IPv6 address is IPv4 (as for Go), so the pair is two IPv4 addresses.
          expect(r.problem?.reason).toBe("InvalidRequest");
        } else {
          expect(r.problem).toBeUndefined();
          expect(r.requestedIPs.map(i => i.family)).toEqual(["IPv4", "IPv6"]);
        }
      }),
    );
  });

  it("refuses any loadBalancerIP text that is not exactly one address (property)", () => {
    fc.assert(
      fc.property(fc.string(), text => {
        fc.pre(text.trim() !== "");
        const r = req("a", { loadBalancerIP: text });
        if (parseIP(text.trim())) expect(r.problem).toBeUndefined();
        else expect(r.problem).toEqual({ reason: "InvalidRequest", message: `invalid IP ${JSON.stringify(text)} in spec.loadBalancerIP` });
      }),
    );
  });
});
