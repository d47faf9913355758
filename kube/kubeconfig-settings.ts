/**
 * The controller's ConnectionSettings (api-connection.ts): the kubeconfig or the in-cluster service
 * account as @kubernetes/client-node's KubeConfig gives them, the same loadFromDefault
 * kubernetes-fluent-client uses, so the watches' credentials and TLS are those of every other call.
 */
import type * as https from "node:https";
import { KubeConfig } from "@kubernetes/client-node";
import type { GenericClass } from "kubernetes-fluent-client";
import { pathBuilder } from "kubernetes-fluent-client/dist/fluent/utils.js";
import type { ConnectionSettings } from "./api-connection";

/** The collection path of a kind (with its label selector), as kubernetes-fluent-client builds it. */
export function collectionPath(model: GenericClass, namespace?: string, labels?: Record<string, string>): string {
  const url = pathBuilder("https://api.invalid", model, { ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}) }, true);
  return `${url.pathname}${url.search}`;
}

export function kubeConfigSettings(given?: KubeConfig): ConnectionSettings {
  const kc =
    given ??
    (() => {
      const loaded = new KubeConfig();
      loaded.loadFromDefault();
      return loaded;
    })();
  return {
    async target() {
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new Error("no current cluster in the kubeconfig");
      const opts: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === "string") headers[k] = v;
      return { base: new URL(cluster.server), headers };
    },
    async tls() {
      const opts: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      return {
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.cert ? { cert: opts.cert } : {}),
        ...(opts.key ? { key: opts.key } : {}),
        ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
        ...(opts.servername ? { servername: opts.servername } : {}),
      };
    },
  };
}
