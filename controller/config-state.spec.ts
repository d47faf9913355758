import { describe, expect, it } from "vitest";
import type { ConfigProblem } from "../core/config/types";
import { configurationStatus } from "./config-state";

const T0 = Date.UTC(2026, 10, 22, 1, 0, 0);
const poolProblem: ConfigProblem = { kind: "IPAddressPool", name: "p", field: "spec.addresses[0]", message: 'invalid CIDR "x"', transient: false };
const peerProblem: ConfigProblem = { kind: "BGPPeer", name: "r", field: "spec.bfdProfile", message: 'BFD profile "f" does not exist', transient: true };

describe("configurationStatus", () => {
  it("is Valid with both reconcilers Reconciled", () => {
    expect(configurationStatus([], undefined, T0)).toEqual({
      result: "Valid",
      errorSummary: "",
      conditions: [
        { type: "configReconcilerValid", status: "True", reason: "Reconciled", message: "", lastTransitionTime: "2026-11-22T01:00:00Z" },
        { type: "poolReconcilerValid", status: "True", reason: "Reconciled", message: "", lastTransitionTime: "2026-11-22T01:00:00Z" },
      ],
    });
  });

  it("lists every problem, one per line; the pool reconciler only reports pool problems; transition times move only on flips", () => {
    const valid = configurationStatus([], undefined, T0);
    const invalid = configurationStatus([poolProblem, peerProblem], valid, T0 + 3000);
    expect(invalid).toEqual({
      result: "Invalid",
      errorSummary: 'IPAddressPool/p: spec.addresses[0]: invalid CIDR "x"\nBGPPeer/r: spec.bfdProfile: BFD profile "f" does not exist',
      conditions: [
        {
          type: "configReconcilerValid",
          status: "False",
          reason: "ConfigurationError",
          message: 'IPAddressPool/p: spec.addresses[0]: invalid CIDR "x"\nBGPPeer/r: spec.bfdProfile: BFD profile "f" does not exist',
          lastTransitionTime: "2026-11-22T01:00:03Z",
        },
        { type: "poolReconcilerValid", status: "False", reason: "ConfigurationError", message: 'IPAddressPool/p: spec.addresses[0]: invalid CIDR "x"', lastTransitionTime: "2026-11-22T01:00:03Z" },
      ],
    });
    const onlyPeer = configurationStatus([peerProblem], invalid, T0 + 9000);
    expect(onlyPeer.conditions.map(c => [c.status, c.lastTransitionTime])).toEqual([
      ["False", "2026-11-22T01:00:03Z"],
      ["True", "2026-11-22T01:00:09Z"],
    ]);
  });
});
