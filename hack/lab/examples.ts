/**
 * The articles' examples as the lab applies them: the pool and L2Advertisement (or, with --bgp, the
 * pool with a BGPPeer and BGPAdvertisement instead), and the two LoadBalancer Services, with their
 * addresses moved into a documentation range. The translated YAML is written to the lab directory,
 * so what was applied can be read and re-applied by hand.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../netns";
import { bgpObjects, listOf, type BgpLab, type KubeObject, type ServicePort } from "./objects";
import { EXAMPLES_NET, expandRange, translateAddresses, type Net24 } from "./translate";

export const EXAMPLE_FILES = ["lb-ippool.yaml", "lb-service.yaml", "lb-service2.yaml"] as const;

/** Where the examples live: LODESTONE_EXAMPLES, else the repository's examples/. */
export function examplesDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.LODESTONE_EXAMPLES ?? join(REPO_ROOT, "examples"));
}

export interface LabService {
  readonly name: string;
  readonly namespace: string;
  readonly ports: readonly ServicePort[];
  readonly requestedIP?: string;
}

export interface AppliedExamples {
  readonly pool: string;
  /** Every address of the pool (the backends accept them all on lo). */
  readonly poolAddresses: readonly string[];
  readonly services: readonly LabService[];
  readonly files: readonly string[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function documents(text: string): Obj[] {
  return parseAllDocuments(text).map((d) => obj(d.toJS())).filter((o) => Object.keys(o).length > 0);
}

/** Reads, translates and (for BGP) rewrites the examples; pure apart from reading `dir`. */
export function labExamples(dir: string, net: Net24, bgp: Omit<BgpLab, "pool"> | undefined): { files: Map<string, string>; applied: Omit<AppliedExamples, "files"> } {
  const files = new Map<string, string>();
  const services: LabService[] = [];
  let pool: string | undefined;
  const poolAddresses: string[] = [];
  for (const file of EXAMPLE_FILES) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new Error(`example ${path} not found (set LODESTONE_EXAMPLES to the examples directory)`);
    let text = translateAddresses(readFileSync(path, "utf8"), EXAMPLES_NET, net).text;
    const docs = documents(text);
    for (const doc of docs) {
      const metadata = obj(doc.metadata);
      if (doc.kind === "IPAddressPool") {
        pool = String(metadata.name);
        for (const entry of arr(obj(doc.spec).addresses)) poolAddresses.push(...expandRange(String(entry)));
      }
      if (doc.kind === "Service" && obj(doc.spec).type === "LoadBalancer") {
        const spec = obj(doc.spec);
        services.push({
          name: String(metadata.name),
          namespace: typeof metadata.namespace === "string" ? metadata.namespace : "default",
          ports: arr(spec.ports).map((p) => ({ ...(typeof obj(p).name === "string" ? { name: String(obj(p).name) } : {}), port: Number(obj(p).port), protocol: String(obj(p).protocol ?? "TCP") })),
          ...(typeof spec.loadBalancerIP === "string" ? { requestedIP: spec.loadBalancerIP } : {}),
        });
      }
    }
    if (bgp && pool !== undefined && docs.some((d) => d.kind === "L2Advertisement")) {
      // BGP instead of L2: the same pool, announced through a BGPAdvertisement to the lab's router.
      text = listOf([...docs.filter((d) => d.kind !== "L2Advertisement"), ...bgpObjects({ ...bgp, pool })]);
    }
    files.set(file, text);
  }
  if (pool === undefined) throw new Error(`no IPAddressPool in ${EXAMPLE_FILES.join(", ")}`);
  return { files, applied: { pool, poolAddresses, services } };
}

/** Writes the translated files into `labDir/examples` and returns their paths (for kubectl apply -f). */
export function writeExamples(labDir: string, files: ReadonlyMap<string, string>): string[] {
  const out = join(labDir, "examples");
  mkdirSync(out, { recursive: true });
  return [...files].map(([name, text]) => {
    const path = join(out, name);
    writeFileSync(path, text);
    return path;
  });
}

export type { KubeObject };
