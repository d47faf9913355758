// Types of hack/build.mjs's exports, for the TypeScript that imports them (deploy/dockerfile.spec.ts, hack/bundles.spec.ts).
import type { BuildOptions } from "esbuild";

export declare const speakerBuild: (out?: string) => BuildOptions;
export declare function netlinkAddon(): string;
export declare const bfdRunnerBuild: (out?: string) => BuildOptions;
export declare const heartbeatRunnerBuild: (out?: string) => BuildOptions;
export declare const cliBuild: (out?: string) => BuildOptions;
