#!/usr/bin/env node
// Writes schema/appmodel.schema.json from the AppModel type in src/model.ts, so the published JSON
// shape of `analyze --json` can never drift from the types the code uses. `--check` fails when the
// committed schema is out of date (the tests run it).
import { createGenerator } from "ts-json-schema-generator";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}schema/appmodel.schema.json`;
const schema = createGenerator({ path: `${root}src/model.ts`, tsconfig: `${root}tsconfig.json`, type: "AppModel", skipTypeCheck: true, additionalProperties: false }).createSchema("AppModel");
schema.$id = "https://rails2k8s.dev/schema/appmodel.schema.json";
schema.title = "rails2k8s AppModel (analyze --json)";
const text = JSON.stringify(schema, null, 2) + "\n";
if (process.argv.includes("--check")) {
  let current = "";
  try { current = readFileSync(out, "utf8"); } catch {}
  if (current !== text) {
    console.error("schema/appmodel.schema.json is out of date: run `npm run schema`");
    process.exit(1);
  }
} else writeFileSync(out, text);
