import { describe, expect, expectTypeOf, it } from "vitest";
import type { BGPPeer, BGPPeerV1beta1, BGPPeerV1beta2Spec, IPAddressPool, IPAddressPoolSpec, LabelSelector, L2AdvertisementSpec } from "./types";
import { validateObject } from "../test/crds/validate-object";

// These tests are checked by `tsc --noEmit` as much as by vitest: a generated type that drifts from
// the shapes below stops the type check.
describe("the generated types", () => {
  it("type a pool as the API server accepts it", () => {
    const pool: IPAddressPool = {
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name: "lb-ip-pool", namespace: "metallb-system" },
      spec: { addresses: ["192.168.172.160-192.168.172.169"], serviceAllocation: { priority: 1, namespaces: ["web"] } },
    };
    expect(validateObject(pool)).toEqual([]);
    expectTypeOf<IPAddressPoolSpec["addresses"]>().toEqualTypeOf<string[]>();
    expectTypeOf<IPAddressPoolSpec["autoAssign"]>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<IPAddressPool["spec"]>().toEqualTypeOf<IPAddressPoolSpec>();
  });

  it("type enums as unions, selectors as the shared LabelSelector, and BGPPeer as its storage version", () => {
    expectTypeOf<BGPPeerV1beta2Spec["dynamicASN"]>().toEqualTypeOf<"internal" | "external" | undefined>();
    expectTypeOf<BGPPeerV1beta2Spec["myASN"]>().toEqualTypeOf<number>();
    expectTypeOf<L2AdvertisementSpec["nodeSelectors"]>().toEqualTypeOf<LabelSelector[] | undefined>();
    expectTypeOf<BGPPeer["apiVersion"]>().toEqualTypeOf<"metallb.io/v1beta2" | undefined>();
    expectTypeOf<BGPPeerV1beta1["apiVersion"]>().toEqualTypeOf<"metallb.io/v1beta1" | undefined>();
    const peer: BGPPeer = {
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "router" },
      spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1" },
      status: { sessions: [{ node: "node-a", state: "Established", prefixesAdvertised: 2 }] },
    };
    expect(validateObject(peer)).toEqual([]);
  });
});
