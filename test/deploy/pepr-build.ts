/**
 * Test-only: what `npx pepr@1.1.4 build` writes (dist/pepr-module-lodestone.yaml) and what
 * `npx pepr@1.1.4 deploy` applies, made in this process by Pepr's own code, each as its CLI makes it:
 * - build: node_modules/pepr/src/cli/build/index.ts (Assets config) and build.helpers.ts
 *   generateYamlAndWriteToDisk (assets.allYaml with generateAllYaml and the k8sObjects functions);
 * - deploy: node_modules/pepr/src/cli/deploy/buildAndDeploy.ts (Assets config, assets.deploy(deployWebhook)),
 *   its Kubernetes calls going to whatever `kubernetes-fluent-client`'s K8s is in the caller (a spec mocks it).
 * Both read the module's bindings with Pepr's loadCapabilities (a fork in PEPR_MODE=build). Left out:
 * esbuild's bundle. The module file is a stand-in that loads pepr.ts through tsx; its hash names the module
 * in the Deployments' args and the module Secret, the same for both.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json";

// Pepr's sources, imported by a computed name: tsc would otherwise type-check them under this repo's
// stricter settings, which they do not meet (as in hack/pepr-build-output.spec.ts).
const peprSource = async <T>(path: string): Promise<T> => (await import(`pepr/src/${path}`)) as T;

const root = join(__dirname, "..", "..");

/** The per-build random values of Pepr's Assets: TLS keys, webhook API path, build timestamp. */
export interface PeprAssets {
  tls: unknown;
  apiPath: string;
  buildTimestamp: string;
  capabilities: unknown[];
  allYaml(generate: unknown, fns: Record<string, unknown>, imagePullSecret?: string): Promise<string>;
  deploy(fn: unknown, force: boolean, webhookTimeout?: number): Promise<void>;
}
type AssetsClass = new (config: Record<string, unknown>, path: string, imagePullSecrets: string[]) => PeprAssets;

/** A module file for Pepr's loadCapabilities: pepr.ts, through tsx, in place of the bundle. */
export function moduleStandIn(): string {
  const dir = mkdtempSync(join(tmpdir(), "lodestone-pepr-module-"));
  const path = join(dir, `pepr-${pkg.pepr.uuid}.js`);
  writeFileSync(path, `require(${JSON.stringify(join(root, "node_modules/tsx/dist/cjs/index.cjs"))});\nrequire(${JSON.stringify(join(root, "pepr.ts"))});\n`);
  return path;
}

async function peprConfig(): Promise<Record<string, unknown> & { webhookTimeout?: number; rbacMode?: string; alwaysIgnore?: { namespaces?: string[] } }> {
  // loadModule.ts: cfg.pepr.peprVersion = the running Pepr's version (cli/init/templates.ts: its package.json's).
  const { version } = JSON.parse(readFileSync(join(root, "node_modules/pepr/package.json"), "utf8")) as { version: string };
  return { ...structuredClone(pkg.pepr), peprVersion: version };
}

/** dist/pepr-module-lodestone.yaml as `npx pepr@1.1.4 build` writes it (no flags). */
export async function peprBuildYaml(modulePath: string): Promise<{ yaml: string; assets: PeprAssets }> {
  const { Assets } = await peprSource<{ Assets: AssetsClass }>("lib/assets/assets");
  const { generateAllYaml } = await peprSource<{ generateAllYaml: unknown }>("lib/assets/yaml/generateAllYaml");
  const objects = await peprSource<Record<string, unknown>>("lib/assets/k8sObjects");
  const pepr = await peprConfig();
  const assets = new Assets(
    // cli/build/index.ts; determineRbacMode without --rbac-mode is the config's rbacMode.
    { ...pepr, appVersion: pkg.version, description: pkg.description, alwaysIgnore: { namespaces: pepr.alwaysIgnore?.namespaces }, rbacMode: pepr.rbacMode },
    modulePath,
    [],
  );
  const yaml = await assets.allYaml(
    generateAllYaml,
    {
      getDeploymentFunction: objects.getDeployment,
      getWatcherFunction: objects.getWatcher,
      getServiceFunction: objects.service,
      getWatcherServiceFunction: objects.watcherService,
    },
    "",
  );
  return { yaml, assets };
}

/**
 * `npx pepr@1.1.4 deploy --yes` after its build. Its Assets get `sameBuildAs`'s per-build random values,
 * as if deploy and build had been one run: without that, every object holding a key would differ.
 */
export async function peprDeploy(modulePath: string, sameBuildAs: PeprAssets): Promise<void> {
  const { Assets } = await peprSource<{ Assets: AssetsClass }>("lib/assets/assets");
  const { deployWebhook } = await peprSource<{ deployWebhook: unknown }>("lib/assets/deploy");
  const pepr = await peprConfig();
  const webhook = new Assets({ ...pepr, description: pkg.description }, modulePath, []);
  Object.assign(webhook, { tls: sameBuildAs.tls, apiPath: sameBuildAs.apiPath, buildTimestamp: sameBuildAs.buildTimestamp });
  await webhook.deploy(deployWebhook, false, pepr.webhookTimeout ?? 10);
}
