/**
 * The lab's check that nothing moved at start-up (issue 12): each `nodeAssigned` Event says a node
 * started announcing a Service. In layer 2 one node announces a Service, so a cold start that raises
 * two for one Service moved its IP; with BGP every node announces, so it is one per Service and node.
 */
export interface CoreEventView {
  readonly reason?: string;
  readonly message?: string;
  readonly count?: number;
  readonly involvedObject?: { readonly kind?: string; readonly namespace?: string; readonly name?: string };
}

/** `namespace/name` -> the nodes named by its nodeAssigned Events, one entry per occurrence, in order. */
export function nodeAssignments(events: readonly CoreEventView[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    if (e.reason !== "nodeAssigned" || e.involvedObject?.kind !== "Service") continue;
    const key = `${e.involvedObject.namespace ?? ""}/${e.involvedObject.name ?? ""}`;
    const node = /announcing from node (\S+) /.exec(e.message ?? "")?.[1] ?? "?";
    const list = out.get(key) ?? [];
    for (let i = 0; i < Math.max(1, e.count ?? 1); i++) list.push(node);
    out.set(key, list);
  }
  return out;
}

/** The Services that moved: more than one nodeAssigned (layer 2) or more than one per node (BGP). */
export function movedAtStart(assignments: ReadonlyMap<string, readonly string[]>, mode: "l2" | "bgp"): string[] {
  const moved: string[] = [];
  for (const [service, nodes] of assignments) {
    const repeated = mode === "l2" ? nodes.length > 1 : new Set(nodes).size < nodes.length;
    if (repeated) moved.push(`${service}: ${nodes.join(" -> ")}`);
  }
  return moved.sort();
}
