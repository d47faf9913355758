/** Process entry of the `lodestone` command (bin/lodestone.js starts it under tsx). */
import { main } from "./main";

main(process.argv.slice(2)).then(
  code => process.exit(code),
  (err: unknown) => {
    console.error(`lodestone: internal error: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(3);
  },
);
