/** Process entry of the `lodestone` command (bin/lodestone.js imports its bundle, build/cli/run.mjs). */
import { main } from "./main";

main(process.argv.slice(2)).then(
  code => process.exit(code),
  (err: unknown) => {
    console.error(`lodestone: internal error: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(3);
  },
);
