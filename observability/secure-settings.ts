/**
 * The one setting that turns on secure metrics: LODESTONE_METRICS_TLS_DIR, a directory holding
 * `tls.crt` and `tls.key` (a `kubernetes.io/tls` Secret mounted as a volume has exactly these).
 * When it is set the metrics are served over HTTPS and only to clients the API server authorizes
 * (delegated-auth.ts); when it is unset they are plain HTTP, as MetalLB serves them without its proxy.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ApiRequest } from "../kube/api-request";
import { delegatedAuthorizer } from "./delegated-auth";
import type { SecureMetrics } from "./server";

export const METRICS_TLS_DIR_ENV = "LODESTONE_METRICS_TLS_DIR";

export function secureMetricsFromEnv(env: NodeJS.ProcessEnv, request: () => ApiRequest): SecureMetrics | undefined {
  const dir = env[METRICS_TLS_DIR_ENV];
  if (!dir) return undefined;
  // Read once at start-up; a missing file is a start-up error naming the setting, not a silent fallback to HTTP.
  const read = (file: string): Buffer => {
    try {
      return readFileSync(join(dir, file));
    } catch (e) {
      throw new Error(`${METRICS_TLS_DIR_ENV}=${dir}: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return { cert: read("tls.crt"), key: read("tls.key"), authorizer: delegatedAuthorizer(request()) };
}
