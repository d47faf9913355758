/**
 * The import boundaries of docs/adr/0011-layout.md, as eslint.config.mjs enforces them (and `npm test`
 * runs `eslint .`): each case lints one deliberate violation, as if written into a real file of
 * that folder, through ESLint's Node API with the repository's own configuration.
 */
import { ESLint } from "eslint";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..");
const eslint = new ESLint({ cwd: root });

/** The no-restricted-imports messages for `code` written at `file` (a repository path). */
async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return (result?.messages ?? []).filter(m => m.ruleId === "no-restricted-imports").map(m => `${m.line}: ${m.message}`);
}

const SOCKET = "a pure core or codec opens no socket: the speaker's data planes own them (docs/adr/0011-layout.md).";
const KUBE = "a pure core or codec imports no Pepr, Kubernetes client or prom-client: take a port or return values (docs/adr/0011-layout.md).";
const TEST = "product code imports no test code: move the helper out of test/ or the importer into test/ (docs/adr/0011-layout.md).";

describe("import boundaries", () => {
  it("a codec opens no socket, loads no addon and imports no Pepr, Kubernetes client, prom-client or test code", async () => {
    const code = [
      'import { createSocket } from "node:dgram";',
      'import { Capability } from "pepr";',
      'import { K8s } from "kubernetes-fluent-client";',
      'import { Counter } from "prom-client";',
      'import { openPacketSocket } from "../../native/index";',
      'import { FakeClock } from "../../test/l2/sim-cluster";',
      "export const all = [createSocket, Capability, K8s, Counter, openPacketSocket, FakeClock];",
      "",
    ].join("\n");
    expect(await boundaryErrors("protocols/l2/arp.ts", code)).toEqual([
      `1: 'node:dgram' import is restricted from being used by a pattern. ${SOCKET}`,
      `2: 'pepr' import is restricted from being used by a pattern. ${KUBE}`,
      `3: 'kubernetes-fluent-client' import is restricted from being used by a pattern. ${KUBE}`,
      `4: 'prom-client' import is restricted from being used by a pattern. ${KUBE}`,
      "5: '../../native/index' import is restricted from being used by a pattern. a pure core or codec loads no native addon: the speaker's data planes own sockets (docs/adr/0011-layout.md).",
      `6: '../../test/l2/sim-cluster' import is restricted from being used by a pattern. ${TEST}`,
    ]);
  }, 60_000);

  it("node:net's address predicates are allowed in a codec, its sockets are not", async () => {
    expect(await boundaryErrors("protocols/l2/ndp.ts", 'import { isIPv6 } from "node:net";\nexport const v6 = isIPv6;\n')).toEqual([]);
    expect(await boundaryErrors("protocols/bgp/codec/update.ts", 'import { connect } from "node:net";\nexport const c = connect;\n')).toEqual([
      "1: 'connect' import from 'node:net' is restricted because only 'isIP,isIPv4,isIPv6' import(s) is/are allowed. a pure core or codec opens no socket (docs/adr/0011-layout.md).",
    ]);
  }, 60_000);

  it("a core imports no runtime, port adapter or binding, and no Kubernetes client", async () => {
    const code = [
      'import { startSpeaker } from "../../speaker/speaker";',
      'import { KfcApi } from "../../kube/kfc-api";',
      'import type { KubernetesObject } from "@kubernetes/client-node";',
      "export const all: unknown[] = [startSpeaker, KfcApi];",
      "export type K = KubernetesObject;",
      "",
    ].join("\n");
    const RUNTIME = "core/ imports no runtime, port adapter or binding (speaker/, controller/, kube/, capabilities/): they import core/ (docs/adr/0011-layout.md).";
    expect(await boundaryErrors("core/allocation/allocator.ts", code)).toEqual([
      `1: '../../speaker/speaker' import is restricted from being used by a pattern. ${RUNTIME}`,
      `2: '../../kube/kfc-api' import is restricted from being used by a pattern. ${RUNTIME}`,
      `3: '@kubernetes/client-node' import is restricted from being used by a pattern. ${KUBE}`,
    ]);
  }, 60_000);

  it("product code imports no test code; specs and test/ may", async () => {
    const code = 'import { FakeSpeakerPort } from "../test/kube/fake-speaker-port";\nexport const F = FakeSpeakerPort;\n';
    expect(await boundaryErrors("speaker/speaker.ts", code)).toEqual([`1: '../test/kube/fake-speaker-port' import is restricted from being used by a pattern. ${TEST}`]);
    expect(await boundaryErrors("speaker/speaker.spec.ts", code)).toEqual([]);
    expect(await boundaryErrors("test/bgp/testkit/speaker.ts", 'import { FakeSpeakerPort } from "../../kube/fake-speaker-port";\nexport const F = FakeSpeakerPort;\n')).toEqual([]);
  }, 60_000);
});
