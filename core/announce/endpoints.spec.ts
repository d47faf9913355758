import { describe, expect, it } from "vitest";
import { countingEndpoints } from "./endpoints";
import type { EndpointView } from "./inputs";

const READY: Omit<EndpointView, "nodeName"> = { ready: true, serving: true };
/** Terminating, still passing its readiness probe (the EndpointSlice controller's ready=false, serving=true). */
const DRAINING: Omit<EndpointView, "nodeName"> = { ready: false, serving: true };
/** Failing its readiness probe (terminating or not). */
const NOT_READY: Omit<EndpointView, "nodeName"> = { ready: false, serving: false };
const at = (node: string | undefined, e: Omit<EndpointView, "nodeName">): EndpointView => (node === undefined ? e : { ...e, nodeName: node });
const slice = (...endpoints: EndpointView[]) => ({ serviceKey: "shop/web", endpoints });
const count = (publish: boolean, ...slices: ReturnType<typeof slice>[]) => {
  const r = countingEndpoints(slices, publish);
  return { any: r.any, nodes: [...r.nodes].sort() };
};

describe("countingEndpoints", () => {
  it.each([
    ["ready endpoints only: their nodes", [slice(at("a", READY), at("b", READY))], { any: true, nodes: ["a", "b"] }],
    ["a ready endpoint elsewhere: the node with only a draining one does not count", [slice(at("a", READY), at("b", DRAINING))], { any: true, nodes: ["a"] }],
    ["ready and draining spread over slices: the same", [slice(at("b", DRAINING)), slice(at("a", READY))], { any: true, nodes: ["a"] }],
    ["none ready: the draining ones count (KEP-1669 fallback)", [slice(at("a", DRAINING), at("b", NOT_READY), at("c", DRAINING))], { any: true, nodes: ["a", "c"] }],
    ["none ready, none serving: nothing counts", [slice(at("a", NOT_READY), at("b", NOT_READY))], { any: false, nodes: [] }],
    ["a ready endpoint without a node: counts for the Service, names no node", [slice(at(undefined, READY), at("b", DRAINING))], { any: true, nodes: [] }],
    ["no endpoints", [slice()], { any: false, nodes: [] }],
    ["no slices", [], { any: false, nodes: [] }],
  ])("%s", (_, slices, expected) => {
    expect(count(false, ...slices)).toEqual(expected);
  });

  it("with publishNotReadyAddresses every endpoint counts, ready, draining or not ready", () => {
    expect(count(true, slice(at("a", READY), at("b", DRAINING), at("c", NOT_READY)))).toEqual({ any: true, nodes: ["a", "b", "c"] });
    expect(count(true, slice(at("c", NOT_READY)))).toEqual({ any: true, nodes: ["c"] });
    expect(count(true, slice())).toEqual({ any: false, nodes: [] });
  });
});
