/**
 * Test bench for the controller: the recording fake API, a fake clock, a fresh metrics registry,
 * and builders for the objects users write. Not used by production code.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Registry } from "prom-client";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../kube/controller-port";
import { FakeControllerPort, type FakeResource } from "../kube/fake-controller-port";
import { FakeClock } from "../../core/clock";
import { startController, type RunningController } from "../../controller/main";

export const NS = "metallb-system";
export const EXAMPLES = join(__dirname, "..", "..", "examples");

export function exampleObjects(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(join(EXAMPLES, file), "utf8"))
    .map(d => d.toJS() as KubeObject)
    .filter(Boolean);
}

export function pool(name: string, addresses: string[], spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name, namespace: NS }, spec: { addresses, ...spec } };
}

export interface SvcOptions {
  namespace?: string;
  type?: string;
  loadBalancerIP?: string;
  annotations?: Record<string, string>;
  ports?: number[];
  statusIPs?: string[];
  loadBalancerClass?: string;
  /** Default: the fake API server assigns one IPv4 ClusterIP. */
  clusterIPs?: string[];
  policy?: "SingleStack" | "PreferDualStack" | "RequireDualStack";
}

export function service(name: string, o: SvcOptions = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: o.namespace ?? "default", ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: {
      type: o.type ?? "LoadBalancer",
      ...(o.loadBalancerIP ? { loadBalancerIP: o.loadBalancerIP } : {}),
      ...(o.loadBalancerClass ? { loadBalancerClass: o.loadBalancerClass } : {}),
      ...(o.clusterIPs
        ? { clusterIP: o.clusterIPs[0], clusterIPs: o.clusterIPs, ipFamilies: o.clusterIPs.map(ip => (ip.includes(":") ? "IPv6" : "IPv4")) }
        : {}),
      ...(o.policy ? { ipFamilyPolicy: o.policy } : {}),
      ports: (o.ports ?? [80]).map(port => ({ protocol: "TCP", port })),
      selector: { app: name },
    },
    ...(o.statusIPs ? { status: { loadBalancer: { ingress: o.statusIPs.map(ip => ({ ip })) } } } : {}),
  };
}

export class Bench {
  readonly api = new FakeControllerPort();
  readonly clock = new FakeClock();
  registry = new Registry();
  controller: RunningController | undefined;

  put(resource: FakeResource, obj: KubeObject, opts: { withStatus?: boolean } = {}): KubeObject {
    return this.api.put(resource, obj, opts);
  }

  putAll(objects: KubeObject[]): void {
    for (const o of objects) this.put((o.kind === "Service" ? "Service" : o.kind) as FakeResource, o);
  }

  async start(opts: { lbClass?: string } = {}): Promise<RunningController> {
    this.controller = await startController({ namespace: NS, port: this.api, clock: this.clock, registry: this.registry, ...opts });
    await this.controller.settled();
    return this.controller;
  }

  async settled(): Promise<void> {
    await this.controller?.settled();
  }

  async stop(): Promise<void> {
    await this.controller?.stop();
    this.controller = undefined;
  }

  svc(name: string, namespace = "default"): KubeObject {
    const s = this.api.get("Service", namespace, name);
    if (!s) throw new Error(`no service ${namespace}/${name}`);
    return s;
  }

  ingress(name: string, namespace = "default"): string[] {
    const lb = (this.svc(name, namespace).status as { loadBalancer?: { ingress?: { ip: string }[] } } | undefined)?.loadBalancer;
    return (lb?.ingress ?? []).map(i => i.ip);
  }

  condition(name: string, namespace = "default"): Record<string, unknown> | undefined {
    const conditions = (this.svc(name, namespace).status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? [];
    return conditions.find(c => c.type === "lodestone.dev/IPAllocated");
  }

  /** `type reason: message` of every Event about the object, in creation order. */
  events(name: string): string[] {
    return this.api
      .objects("Event")
      .filter(e => (e.involvedObject as { name: string }).name === name)
      .map(e => `${String(e.type)} ${String(e.reason)}: ${String(e.message)}`);
  }

  /** Writes aimed at one object (and the Events about it). */
  writesTo(name: string): string[] {
    return this.api.writes.filter(w => w.name === name || (w.verb.endsWith("Event") && w.name.startsWith(`${name}.`))).map(w => w.verb + (w.error ? ` (${w.error.status})` : ""));
  }

  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const m = (await this.registry.getMetricsAsJSON()).find(x => x.name === name);
    const v = m?.values.find(x => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
    return v?.value;
  }
}
