// Secret-looking entries of the YAML files Rails reads (config/secrets.yml, database.yml or its
// example): the key path, the place, and how the value is given (written in the file, read from
// ENV) — never the value itself. findSecrets and findHazards turn these into SecretRefs and hazards.
import type { RValue, SecretKeyRef } from "../../src/model.js";
import { isHash, isEnvRef, isInterp } from "../ruby/evaluate.js";
import { looksSecretKey } from "../secrets.js";
import { secretEnvName } from "../../src/model/secret-env.js";
import type { ErbYaml } from "./erb-yaml.js";

export function secretKeysOf(file: string, yaml: ErbYaml): SecretKeyRef[] {
  const out: SecretKeyRef[] = [];
  const walk = (v: RValue, path: string[]) => {
    if (isHash(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
      return;
    }
    if (Array.isArray(v) || path.length === 0) return;
    const key = path[path.length - 1];
    const source = { file, line: yaml.lineOf(path) };
    const envs = envNames(v);
    const secretEnv = envs.find(secretEnvName);
    const urlWithPassword = key === "url" && typeof v === "string" && /^[a-z0-9+.-]+:\/\/[^/@\s:]*:[^/@\s]+@/i.test(v);
    if (!looksSecretKey(key) && !secretEnv && !urlWithPassword) return;
    const dotted = path.join(".");
    if (envs.length) out.push({ file, path: dotted, given: "env", env: secretEnv ?? envs[0], source });
    else if (v === null || v === "") out.push({ file, path: dotted, given: "empty", source });
    else if (typeof v === "string" || typeof v === "number") out.push({ file, path: dotted, given: "literal", source });
    else out.push({ file, path: dotted, given: "unknown", source });
  };
  walk(yaml.value, []);
  return out;
}

function envNames(v: RValue): string[] {
  if (isEnvRef(v)) return [v.env];
  if (isInterp(v)) return v.interp.flatMap(envNames);
  return [];
}
