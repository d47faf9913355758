/**
 * The lab's API-outage step (issue 12): the node answering the first Service loses its link for 6 s
 * (its speaker loses the API with it: hack/netns/api-bridge.ts), the link comes back, a new Service is
 * created, and it must answer the client within 2 s of its IP being allocated. The speaker that was
 * cut off is blind until its watches are back, so a node that saw the Service answers meanwhile
 * (core/election/liveness.ts).
 */
import type { Host } from "../netns";
import type { Kubectl } from "./kubectl";
import { endpointSliceObject, listOf, type LabNode } from "./objects";
import type { Note } from "./steps";
import { until } from "./steps";
import { answeringNode, type Client } from "./workload";

export const OUTAGE_MS = 6_000;
export const ANSWER_BOUND_MS = 2_000;

export interface OutageResult {
  readonly ip: string;
  /** From the link coming back to the IP in the Service's status. */
  readonly allocatedMs: number;
  /** From the IP in status to the first 200 from the client. */
  readonly answeredMs: number;
  readonly answeredBy: string;
}

export async function linkOutageThenNewService(opts: {
  host: Host;
  kubectl: Kubectl;
  client: Client;
  nodes: readonly LabNode[];
  namespace: string;
  port: number;
  note: Note;
}): Promise<OutageResult> {
  const { host, kubectl, client, note } = opts;
  const name = "newsvc";
  await host.ns.linkSet("eth0", "down");
  note(`${host.ns.role}: eth0 down for ${OUTAGE_MS} ms (its speaker loses the API server too)`);
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  await host.ns.linkSet("eth0", "up");
  const upAt = Date.now();
  // What `kubectl create service loadbalancer newsvc --tcp=80:80` creates (sent as JSON: the local API
  // server takes no protobuf), and its EndpointSlice as the endpoint controller would write it.
  const service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: opts.namespace, labels: { app: name } },
    spec: { type: "LoadBalancer", selector: { app: name }, ports: [{ name: `${opts.port}-${opts.port}`, port: opts.port, protocol: "TCP", targetPort: opts.port }] },
  };
  note(await kubectl(["apply", "-f", "-"], listOf([service, endpointSliceObject(opts.namespace, name, [{ name: `${opts.port}-${opts.port}`, port: opts.port }], opts.nodes)])));
  const ip = await until(async () => {
    const svc = JSON.parse(await kubectl(["-n", opts.namespace, "get", "svc", name, "-o", "json"])) as { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } };
    return svc.status?.loadBalancer?.ingress?.[0]?.ip;
  }, `EXTERNAL-IP of ${name}`, 15_000, 25);
  const allocatedAt = Date.now();
  const url = `http://${ip}:${opts.port}/`;
  const reply = await until(async () => {
    const r = await client.get(url);
    if (!r.startsWith("200 ")) throw new Error(r);
    return r;
  }, `answer from ${url}`, 15_000, 25);
  const result: OutageResult = { ip, allocatedMs: allocatedAt - upAt, answeredMs: Date.now() - allocatedAt, answeredBy: answeringNode(reply) ?? "?" };
  note(`${name} got ${ip} ${result.allocatedMs} ms after the link came back; GET ${url} -> ${reply} ${result.answeredMs} ms after that`);
  if (result.answeredMs > ANSWER_BOUND_MS) throw new Error(`${url} answered ${result.answeredMs} ms after its IP was allocated (bound ${ANSWER_BOUND_MS} ms)`);
  return result;
}
