// Fails when api/src/schema.d.ts is not what openapi-typescript makes of the API's current
// openapi.json (as `make openapi-check` fails for the document itself). Fix: make web-types.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const committed = "api/src/schema.d.ts";
const folder = mkdtempSync(join(tmpdir(), "atelier-types-"));
const fresh = join(folder, "schema.d.ts");
try {
  execFileSync("node_modules/.bin/openapi-typescript", ["../shared/atelier/api/openapi.json", "-o", fresh], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (readFileSync(fresh, "utf8") !== readFileSync(committed, "utf8")) {
    console.error(`web/${committed} is stale: openapi.json changed. Run \`make web-types\` and commit it.`);
    process.exit(1);
  }
  console.log(`web/${committed} matches openapi.json`);
} finally {
  rmSync(folder, { recursive: true, force: true });
}
