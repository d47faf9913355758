/**
 * CLI: `npx tsx hack/kube-apiserver/main.ts --dir DIR [--port N] [--host H]`
 * Starts the test API server, prints the KUBECONFIG path, runs until SIGINT/SIGTERM.
 */
import { startApiServer } from "./server";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const dir = arg("--dir");
  if (!dir) {
    process.stderr.write("usage: main.ts --dir DIR [--port N] [--host H]\n");
    process.exit(2);
  }
  const port = arg("--port");
  const host = arg("--host");
  const srv = await startApiServer({ dir, ...(port ? { port: Number(port) } : {}), ...(host ? { host } : {}) });
  process.stdout.write(`${srv.kubeconfig}\n`);
  const shutdown = (): void => {
    void srv.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

void main();
