/**
 * The two admission rules that are not about one set of objects but about a change: deleting a
 * BFDProfile still in use, and changing a BGPPeer's immutable enableGracefulRestart.
 */
import { bfd, peer } from "./problems";
import { isConfigObject } from "./objects";
import { isRecord, own } from "./read";
import type { ConfigProblem } from "./types";

const specOf = (obj: unknown): Record<string, unknown> => {
  const spec = isRecord(obj) ? own(obj, "spec") : undefined;
  return isRecord(spec) ? spec : {};
};
const nameOf = (obj: unknown): string => {
  const metadata = isRecord(obj) ? own(obj, "metadata") : undefined;
  const name = isRecord(metadata) ? own(metadata, "name") : undefined;
  return typeof name === "string" ? name : "";
};

/** Problems denying the deletion of BFDProfile `profile` while BGPPeers (raw objects) reference it. */
export function bfdProfileDeletionProblems(profile: string, peers: readonly unknown[]): ConfigProblem[] {
  return peers
    .filter(p => isConfigObject(p) && isRecord(p) && own(p, "kind") === "BGPPeer" && own(specOf(p), "bfdProfile") === profile)
    .map(p => {
      const issue = bfd.inUse(profile, nameOf(p));
      return { kind: "BFDProfile", name: profile, field: "", message: issue.message, transient: false, code: issue.code };
    });
}

/** Problems with an update of a BGPPeer from `before` to `after` (raw objects): immutable fields. */
export function peerUpdateProblems(before: unknown, after: unknown): ConfigProblem[] {
  const was = own(specOf(before), "enableGracefulRestart") ?? false;
  const now = own(specOf(after), "enableGracefulRestart") ?? false;
  if (was === now) return [];
  const issue = peer.gracefulRestartImmutable();
  return [{ kind: "BGPPeer", name: nameOf(after), field: "spec.enableGracefulRestart", message: issue.message, transient: false, code: issue.code }];
}
