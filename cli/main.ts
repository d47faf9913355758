/**
 * The `lodestone` command: a table of subcommands. Each returns its exit code; none calls
 * process.exit, so they can be tested in-process.
 */
export interface CommandIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

type Command = (args: string[], io: CommandIO) => Promise<number>;

/** The subcommands, loaded on use so that `lodestone validate` never pays for the Kubernetes client. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  validate: {
    summary: "check metallb.io YAML offline: -f FILE|DIR ... (exit 0 valid, 1 problems, 2 unreadable)",
    load: async () => (await import("./validate")).validateCommand,
  },
  status: {
    summary: "show pools, LoadBalancer Services (IPs, pool, announcing nodes) and BGP sessions of the cluster",
    load: async () => (await import("./status")).statusCommand,
  },
  convert: {
    summary: "convert a pre-0.13 MetalLB ConfigMap to metallb.io CRs: -f FILE",
    load: async () => (await import("./convert")).convertCommand,
  },
};

function usage(io: CommandIO): void {
  io.err("usage: lodestone <command> [options]\n\ncommands:");
  for (const [name, c] of Object.entries(commands)) io.err(`  ${name.padEnd(10)} ${c.summary}`);
}

export async function main(argv: string[], io: CommandIO = defaultIO): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : commands[name];
  if (!command) {
    if (name !== undefined && name !== "help" && name !== "--help" && name !== "-h") io.err(`lodestone: unknown command "${name}"`);
    usage(io);
    return name === undefined || name.startsWith("-") || name === "help" ? 0 : 2;
  }
  return (await command.load())(rest, io);
}

const defaultIO: CommandIO = { out: l => process.stdout.write(l + "\n"), err: l => process.stderr.write(l + "\n") };
