import { describe, expect, it } from "vitest";
import { routeAttributes } from "./advertisement";

describe("routeAttributes", () => {
  it("towards an external peer: AS_PATH [myASN], no LOCAL_PREF, communities sorted and unique", () => {
    expect(
      routeAttributes(
        { myAsn: 64512, peerAsn: 64500 },
        {
          localPref: 150,
          communities: [
            { kind: "standard", value: (65535 << 16) | 2 },
            { kind: "large", globalAdmin: 64512, localData1: 2, localData2: 3 },
            { kind: "standard", value: (64512 << 16) | 100 },
            { kind: "standard", value: (65535 << 16) | 2 },
            { kind: "large", globalAdmin: 64512, localData1: 1, localData2: 9 },
          ],
        },
      ),
    ).toEqual({
      origin: 0,
      asPath: [{ type: 2, asns: [64512] }],
      communities: [0xfc000064, 0xffff0002],
      largeCommunities: [
        { globalAdmin: 64512, localData1: 1, localData2: 9 },
        { globalAdmin: 64512, localData1: 2, localData2: 3 },
      ],
    });
  });

  it("towards an internal peer: empty AS_PATH and LOCAL_PREF", () => {
    expect(routeAttributes({ myAsn: 64512, peerAsn: 64512 }, { localPref: 0, communities: [] })).toEqual({ origin: 0, asPath: [], localPref: 0 });
  });
});
