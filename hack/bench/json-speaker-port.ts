/**
 * An in-memory SpeakerPort that costs what HTTP costs the speaker: every list arrives as JSON text and
 * is parsed (as the API client parses a response body); every other call serialises its arguments and
 * completes in a later turn of the event loop, as an HTTP request does (an in-memory fake that answers
 * in the same microtask would run thousands of writes back to back, which no API server allows).
 */
import { keyOf, type KubeObject } from "../../kube/controller-port";
import { FakeSpeakerPort } from "../../test/kube/fake-speaker-port";
import type { SpeakerResource, SpeakerWatchHandler } from "../../kube/speaker-port";
import { formatIP, parseIP, type IPAddress } from "../../core/net/ip";
import { TimeSlice } from "../../core/time-slice";

/** Calls that are one HTTP request each to a real API server. */
const REQUESTS = [
  "listL2Statuses",
  "createL2Status",
  "updateL2Status",
  "deleteL2Status",
  "listBgpStatuses",
  "createBgpStatus",
  "updateBgpStatus",
  "deleteBgpStatus",
  "getBgpPeer",
  "replaceBgpPeerStatus",
  "createEvent",
  "writeConfigurationState",
] as const;

/** Objects per list page (speaker/rest-speaker-port.ts's default). */
const PAGE = 500;

/** One event-loop turn: the least a network round trip takes. */
const roundTrip = () => new Promise<void>(resolve => setImmediate(resolve));

export class JsonSpeakerPort extends FakeSpeakerPort {
  /** Each object's JSON as the server holds it (kube-apiserver's watch cache keeps objects serialised). */
  private readonly texts = new Map<SpeakerResource, Map<string, string>>();

  constructor() {
    super();
    const self = this as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const name of REQUESTS) {
      const call = (self[name] as (...args: unknown[]) => Promise<unknown>).bind(this);
      self[name] = async (...args: unknown[]) => {
        JSON.parse(JSON.stringify(args));
        await roundTrip();
        return call(...args);
      };
    }
  }

  override apply(resource: SpeakerResource, object: KubeObject): void {
    super.apply(resource, object);
    let texts = this.texts.get(resource);
    if (!texts) this.texts.set(resource, (texts = new Map()));
    texts.set(keyOf(object), JSON.stringify(object));
  }

  override remove(resource: SpeakerResource, object: KubeObject): void {
    super.remove(resource, object);
    this.texts.get(resource)?.delete(keyOf(object));
  }

  /**
   * Each page's body is the server's serialised objects joined; the client parses it, which is the
   * speaker's cost. In pages of 500, one round trip each, as speaker/rest-speaker-port.ts lists.
   */
  override async list(resource: SpeakerResource, namespace?: string, name?: string): Promise<KubeObject[]> {
    if (name !== undefined || resource === "Secret") return super.list(resource, namespace, name);
    // The fake's own list for its checks (unreachable, forbidden), asking for no object: its copies are not the speaker's cost.
    await super.list(resource, namespace, "\u0000");
    return this.pages(resource);
  }

  /**
   * A watch's first list as the real port has it (kube/watch-supervisor.ts): parsed from pages, then
   * handed to the handler in slices of at most 10 ms (core/time-slice.ts), as the real port does.
   */
  protected override async deliverFirstList(resource: SpeakerResource, handler: SpeakerWatchHandler): Promise<void> {
    if (resource === "Secret") return super.deliverFirstList(resource, handler);
    const slice = new TimeSlice();
    for (const o of await this.pages(resource)) {
      await slice.yield();
      handler.event("ADDED", o);
    }
  }

  private async pages(resource: SpeakerResource): Promise<KubeObject[]> {
    const texts = [...(this.texts.get(resource)?.values() ?? [])];
    const out: KubeObject[] = [];
    for (let i = 0; i === 0 || i < texts.length; i += PAGE) {
      await roundTrip();
      const body = `{"kind":"${resource}List","items":[${texts.slice(i, i + PAGE).join(",")}]}`;
      out.push(...(JSON.parse(body) as { items: KubeObject[] }).items);
    }
    return out;
  }
}

/** Service `i` of a soak: LoadBalancer with one ingress IP, `firstIp` + i. */
export function soakService(i: number, firstIp: string): KubeObject {
  const base = (parseIP(firstIp) as IPAddress).value;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: `svc-${i}`, namespace: "soak", uid: `uid-${i}`, resourceVersion: String(i + 10), generation: 1, annotations: { "metallb.io/ip-allocated-from-pool": "soak" } },
    spec: { type: "LoadBalancer", clusterIP: "10.0.0.5", ports: [{ port: 80, protocol: "TCP" }] },
    status: { loadBalancer: { ingress: [{ ip: formatIP({ family: "IPv4", value: base + BigInt(i) }) }] } },
  };
}

/** The EndpointSlice of soak Service `i`: one ready endpoint on `node`. */
export function soakSlice(i: number, node: string): KubeObject {
  return {
    metadata: { name: `svc-${i}-abcde`, namespace: "soak", labels: { "kubernetes.io/service-name": `svc-${i}` } },
    endpoints: [{ addresses: ["10.1.0.1"], conditions: { ready: true, serving: true, terminating: false }, nodeName: node }],
  };
}
