// Types of hack/build.mjs's exports, for the TypeScript that imports them (deploy/dockerfile.spec.ts).
import type { BuildOptions } from "esbuild";

export declare const speakerBuild: (out?: string) => BuildOptions;
export declare function netlinkAddon(): string;
