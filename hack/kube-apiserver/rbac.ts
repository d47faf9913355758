/**
 * ServiceAccount and the rbac.authorization.k8s.io/v1 kinds, stored and served without enforcement:
 * this server has no RBAC (one bearer token is the admin). They exist so that what `pepr build`
 * writes (dist/pepr-module-*.yaml) and what Lodestone's watcher installs for the speaker can be applied
 * as they are. Their lists (rules, subjects) have no merge keys in k8s.io/api rbac/v1, so they are
 * replaced whole, which is this server's default. Discovery leaves out their storageVersionHash
 * (optional, and not in the recordings).
 */
import { builtin } from "./builtins";
import { getPath, str } from "./json";
import type { JsonObject, StatusCause } from "./status";
import { required } from "./status";
import { age, ageCol, col, nameCol } from "./table-columns";

const name = (o: JsonObject): string => str(getPath(o, ["metadata", "name"])) ?? "";
const created = (o: JsonObject, now: Date): string => age(getPath(o, ["metadata", "creationTimestamp"]), now);

function validateBinding(o: JsonObject): StatusCause[] {
  const ref = getPath(o, ["roleRef"]);
  if (!ref || typeof ref !== "object" || Array.isArray(ref)) return [required("roleRef.name")];
  const causes: StatusCause[] = [];
  if (!str((ref as JsonObject).name)) causes.push(required("roleRef.name"));
  if (!str((ref as JsonObject).kind)) causes.push(required("roleRef.kind"));
  return causes;
}

export const serviceAccountType = builtin({
  group: "",
  plural: "serviceaccounts",
  kind: "ServiceAccount",
  shortNames: ["sa"],
  columns: [nameCol(), col("Secrets", "The number of secrets"), ageCol()],
  cells: (o, now) => [name(o), Array.isArray(o.secrets) ? o.secrets.length : 0, created(o, now)],
});

export const clusterRoleType = builtin({ group: "rbac.authorization.k8s.io", plural: "clusterroles", kind: "ClusterRole", namespaced: false });
export const roleType = builtin({ group: "rbac.authorization.k8s.io", plural: "roles", kind: "Role" });

const bindingColumns = { columns: [nameCol(), col("Role", "The role"), ageCol()], cells: (o: JsonObject, now: Date) => [name(o), `${str(getPath(o, ["roleRef", "kind"])) ?? ""}/${str(getPath(o, ["roleRef", "name"])) ?? ""}`, created(o, now)] };

export const clusterRoleBindingType = builtin({
  group: "rbac.authorization.k8s.io",
  plural: "clusterrolebindings",
  kind: "ClusterRoleBinding",
  namespaced: false,
  validate: validateBinding,
  ...bindingColumns,
});

export const roleBindingType = builtin({
  group: "rbac.authorization.k8s.io",
  plural: "rolebindings",
  kind: "RoleBinding",
  validate: validateBinding,
  ...bindingColumns,
});
