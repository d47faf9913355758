/**
 * Writing a ConfigurationState (https://github.com/metallb/metallb/blob/main/api/v1beta1/configurationstate_types.go):
 * the controller and every speaker each
 * own one object, which may not exist yet. The status is a subresource, ignored on create, so the
 * write is: patch the status; on 404 create the object (a 409 means another writer created it
 * meanwhile, which is fine) and patch the status again.
 */
import { metallbPath } from "./api-paths";
import { isConflict, isNotFound, type ConfigurationStateStatus, type ObjectRef } from "./controller-port";
import { JSON_CONTENT, MERGE_PATCH, type ApiRequest } from "./api-request";

export async function writeConfigurationState(request: ApiRequest, ref: ObjectRef, labels: Record<string, string>, status: ConfigurationStateStatus): Promise<void> {
  const statusPath = `${metallbPath("ConfigurationState", ref.namespace, ref.name)}/status`;
  try {
    await request("PATCH", statusPath, MERGE_PATCH, { status });
    return;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const object = { apiVersion: "metallb.io/v1beta1", kind: "ConfigurationState", metadata: { name: ref.name, namespace: ref.namespace, labels } };
  try {
    await request("POST", metallbPath("ConfigurationState", ref.namespace), JSON_CONTENT, object);
  } catch (e) {
    if (!isConflict(e)) throw e;
  }
  await request("PATCH", statusPath, MERGE_PATCH, { status });
}
