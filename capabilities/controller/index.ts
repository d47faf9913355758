/**
 * The controller as Pepr sees it. Pepr only creates its watcher Deployment for a module that has a
 * watch binding, and the allocator must run in exactly that one process. The allocator itself
 * watches with kubernetes-fluent-client (Pepr's When() never sees kube-system), so this binding is
 * only the marker that makes `pepr build` ship the watcher; it does nothing with the events.
 *
 * Pepr runs a kubernetes-fluent-client watch for it all the same, which after PEPR_RESYNC_FAILURE_MAX
 * failed resyncs (default 5, about 25 s of API outage) throws `WatchEvent GiveUp` out of a timer and
 * ends the process (node_modules/pepr/dist/lib.js, registerWatchEventHandlers). package.json
 * `pepr.env` sets that limit beyond reach (the Deployments get it from `pepr build`, the out-of-cluster
 * runner from hack/local-controller), so the marker watch retries for as long as the API is away.
 *
 * | kind          | event            | action                                   |
 * |---------------|------------------|------------------------------------------|
 * | IPAddressPool | CREATE or UPDATE | none (presence creates the watcher pod)  |
 */
import { Capability } from "pepr";
import type { GenericClass } from "kubernetes-fluent-client";
import { IPAddressPoolKind } from "../../kube/kinds";

export const ControllerCapability = new Capability({
  name: "lodestone-controller",
  description: "Runs the allocator in Pepr's watcher process",
});

ControllerCapability.When(IPAddressPoolKind as GenericClass)
  .IsCreatedOrUpdated()
  .Watch(() => {});
