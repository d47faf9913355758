/**
 * What `pepr build` reads of the module (PEPR_MODE=build): the admission table (capabilities/admission)
 * and the controller's marker (capabilities/controller) as Pepr capabilities, from which it writes the
 * webhook registration, the RBAC and its Deployments. Only `pepr build` loads this file, and with it
 * Pepr: at run time the module process serves the same table itself (docs/adr/0015).
 */
import { Capability, PeprModule, a } from "pepr";
import type { GenericClass } from "kubernetes-fluent-client";
import { ADMISSION_BINDINGS } from "./admission/index";
import { ControllerCapability } from "./controller/index";
import { configKinds } from "../kube/kinds";

/** The callbacks Pepr's runtime would call; it never runs this module (docs/adr/0015). */
const servedByTheModule = (): never => {
  throw new Error("Lodestone's webhooks are served by its module process (controller/admission-server.ts), not by Pepr's runtime");
};

/** The admission table as a Pepr capability: the same kinds, operations and webhook types. */
export function webhooksCapability(): Capability {
  const webhooks = new Capability({
    name: "lodestone-webhooks",
    description: "Validates metallb.io configuration and normalises Lodestone's Service annotations",
  });
  const modelOf = (kind: string): GenericClass =>
    kind === "Service" ? (a.Service as GenericClass) : (configKinds.find(k => k.kind === kind)!.model as GenericClass);
  for (const b of ADMISSION_BINDINGS) {
    const when = webhooks.When(modelOf(b.kind));
    const operations = [...b.operations].sort().join(",");
    if (operations !== "DELETE" && operations !== "CREATE,UPDATE") throw new Error(`admission binding ${b.kind}: operations ${operations} have no Pepr event`);
    const on = operations === "DELETE" ? when.IsDeleted() : when.IsCreatedOrUpdated();
    if (b.mutate) on.Mutate(servedByTheModule);
    if (b.validate) on.Validate(servedByTheModule);
  }
  return webhooks;
}

/** Hands the capabilities to `pepr build` (PeprModule sends them to its parent process in build mode). */
export function declareToPeprBuild(cfg: ConstructorParameters<typeof PeprModule>[0]): void {
  new PeprModule(cfg, [webhooksCapability(), ControllerCapability]);
}
