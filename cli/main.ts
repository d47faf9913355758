/**
 * The `lodestone` command: a table of subcommands. Each returns its exit code; none calls
 * process.exit, so they can be tested in-process.
 *
 * Conventions, as kubectl's: `lodestone`, `lodestone help`, `-h`/`--help` print the usage on stdout
 * and exit 0; `version`, `-v`/`--version` print the version on stdout and exit 0; an unknown command
 * or flag exits 2 with the reason and the usage on stderr.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface CommandIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

type Command = (args: string[], io: CommandIO) => Promise<number>;

/** The subcommands, loaded on use so that `lodestone validate` never pays for the Kubernetes client. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  validate: {
    summary: "check metallb.io YAML offline: -f FILE|DIR|- ... (exit 0 valid, 1 problems, 2 unreadable)",
    load: async () => (await import("./validate")).validateCommand,
  },
  status: {
    summary: "show pools, LoadBalancer Services (IPs, pool, announcing nodes) and BGP sessions of the cluster",
    load: async () => (await import("./status")).statusCommand,
  },
  install: {
    summary: "install everything: prepare, apply the controller's manifest, wait for the rollout, print status",
    load: async () => (await import("./install")).installCommand,
  },
  manifests: {
    summary: "print every object an install makes as one YAML (lodestone manifests > lodestone.yaml)",
    load: async () => (await import("./manifests")).manifestsCommand,
  },
  prepare: {
    summary: "create once what the installer must: namespace, heartbeat Secret (when absent), the speakers' Secret access",
    load: async () => (await import("./prepare")).prepareCommand,
  },
  uninstall: {
    summary: "remove the controller, its webhooks and the speaker; keep metallb.io CRDs and objects and the Services' IPs",
    load: async () => (await import("./uninstall")).uninstallCommand,
  },
  convert: {
    summary: "convert a pre-0.13 MetalLB ConfigMap to metallb.io CRs: -f FILE|-",
    load: async () => (await import("./convert")).convertCommand,
  },
};

export function usage(): string {
  return [
    "usage: lodestone <command> [flags]",
    "",
    "commands:",
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
    "",
    "flags:",
    "  -h, --help     this help; `lodestone <command> --help` for a command's flags",
    "  -v, --version  the version of lodestone",
  ].join("\n");
}

/** The version in package.json, read once on use. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version?: unknown };
  return `lodestone ${typeof pkg.version === "string" ? pkg.version : "unknown"}`;
}

export async function main(argv: string[], io: CommandIO = defaultIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "-h" || name === "--help") {
    io.out(usage());
    return 0;
  }
  if (name === "version" || name === "-v" || name === "--version") {
    io.out(version());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    io.err(name.startsWith("-") ? `lodestone: unknown flag "${name}"` : `lodestone: unknown command "${name}"`);
    io.err(usage());
    return 2;
  }
  return (await command.load())(rest, io);
}

const defaultIO: CommandIO = { out: l => process.stdout.write(l + "\n"), err: l => process.stderr.write(l + "\n") };
