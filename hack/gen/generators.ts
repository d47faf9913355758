import { configDoc } from "./config-doc";
import { crdManifests } from "./crd-manifests";
import { crdTypes } from "./crd-types";
import { helmChart } from "./helm-chart";

/** Every generator of committed files: a source of truth and the files it produces (path -> content). */
export interface Generator {
  /** Where the truth lives, for the drift message. */
  source: string;
  files(): Iterable<[path: string, content: string]>;
}

export const generators: Generator[] = [crdManifests, crdTypes, configDoc, helmChart];
