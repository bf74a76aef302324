// linked_files / linked_dirs → what each path holds on the servers, which decides what it becomes
// in the cluster (Secret, ConfigMap, volume or nothing). One rule table, first match wins.
import type { LinkedPath } from "../../src/model.js";

type Class = LinkedPath["class"];

const RULES: [RegExp, Class][] = [
  // Secrets: keys, credentials, dotenv files, secrets.yml, Figaro's application.yml (ENV values, secrets among them), anything named so.
  [/(^|\/)(master\.key|credentials(\.yml\.enc)?|secrets?\.yml|application\.yml|\.env(\.[^/]*)?|[^/]*\.(key|pem|p12|pfx|jks|keystore))$/i, "secret"],
  [/(^|\/)config\/credentials(\/|$)/i, "secret"],
  [/secret|credential|passw|token|(^|[^a-z])keys?([^a-z]|$)/i, "secret"],
  // Runtime state written by the app server.
  [/(^|\/)tmp\/(pids|sockets)(\/|$)/, "pids"],
  [/(^|\/)(log|logs)(\/|$)/, "log"],
  // Caches and build output that can be rebuilt.
  [/(^|\/)(tmp(\/|$)|vendor\/bundle|\.bundle|node_modules|public\/(assets|packs)(\/|$)|\.cache)/, "cache"],
  // Data the app keeps: uploads and storage.
  [/(^|\/)(public\/(system|uploads|files|media|attachments)|storage|uploads|files|attachments|media|shared\/data)(\/|$)/, "data"],
  // Configuration rendered or placed on the servers.
  [/(^|\/)config\/.*\.(yml|yaml|json|rb|conf|xml|toml|properties)$/, "config"],
  [/(^|\/)config\/[^/]+\/?$/, "config"],
];

export function classifyLinked(path: string, kind: LinkedPath["kind"]): Class {
  for (const [re, cls] of RULES) if (re.test(path)) return cls === "config" && kind === "dir" && !/^config\//.test(path) ? "other" : cls;
  return "other";
}
