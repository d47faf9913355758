/**
 * Regenerates every generated file from its source of truth, or with `--check` fails when a
 * committed file differs from what its source would generate now.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { generators } from "./generators";

const root = join(__dirname, "..", "..");
const check = process.argv.includes("--check");
let drift = 0;
for (const gen of generators) {
  for (const [path, content] of gen.files()) {
    const full = join(root, path);
    const current = existsSync(full) ? readFileSync(full, "utf8") : undefined;
    if (current === content) continue;
    if (check) {
      console.error(`generated file out of date: ${path} (source: ${gen.source}); run \`npm run gen\``);
      drift++;
    } else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
      console.log(`wrote ${path}`);
    }
  }
}
if (drift) process.exit(1);
if (check) console.log(`generated files match their sources (${generators.length} generators)`);
