import { describe, expect, it } from "vitest";
import { bfdProfileDeletionProblems, peerUpdateProblems } from "./admission-rules";
import { formatProblem } from "./types";
import { peer } from "../../test/config/testdata/objects";

describe("BFDProfile deletion", () => {
  it("is denied while a BGPPeer uses the profile", () => {
    const peers = [peer("a", { bfdProfile: "fast" }), peer("b", { bfdProfile: "slow" }), { kind: "BGPPeer", spec: { bfdProfile: "fast" } }];
    expect(bfdProfileDeletionProblems("fast", peers).map(formatProblem)).toEqual(["BFDProfile/fast: failed to delete BFDProfile fast, used by BGPPeer a"]);
  });

  it("is allowed when no peer uses it, whatever the input", () => {
    expect(bfdProfileDeletionProblems("fast", [peer("a", {}), null, 3, { spec: { bfdProfile: "fast" } }])).toEqual([]);
  });
});

describe("BGPPeer update", () => {
  it("refuses a change of enableGracefulRestart", () => {
    expect(peerUpdateProblems(peer("a", {}), peer("a", { enableGracefulRestart: true })).map(formatProblem)).toEqual([
      "BGPPeer/a: spec.enableGracefulRestart: enableGracefulRestart cannot be changed after creation",
    ]);
    expect(peerUpdateProblems(peer("a", { enableGracefulRestart: true }), peer("a", { enableGracefulRestart: false }))).toHaveLength(1);
  });

  it("accepts other changes, and an unset field equal to false", () => {
    expect(peerUpdateProblems(peer("a", { enableGracefulRestart: false }), peer("a", { holdTime: "30s" }))).toEqual([]);
    expect(peerUpdateProblems(undefined, "garbage")).toEqual([]);
  });
});
