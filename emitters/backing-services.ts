// What each datastore the deploy started asks of the cluster, in words: one rule, read by the
// analyze report and by MIGRATION.md. A Redis whose maxmemory-policy evicts is a cache (losing keys
// is its normal life); one with noeviction keeps every key (Sidekiq's queues, sessions), so it must
// be a persistent, non-evicting Redis, and never share an evicting cache's instance.
import type { BackingService, Fact } from "../src/model.js";

const LABEL: Record<BackingService["kind"], string> = { redis: "Redis", memcached: "memcached", elasticsearch: "Elasticsearch", opensearch: "OpenSearch", postgresql: "PostgreSQL", mysql: "MySQL" };

/** `cache` when the Redis evicts keys when full, `store` when it keeps every key (noeviction, Redis's default). */
export function redisRole(settings: Record<string, Fact<string>>): "cache" | "store" {
  const policy = settings["maxmemory-policy"]?.value ?? "noeviction";
  return /^(allkeys|volatile)-/.test(policy) ? "cache" : "store";
}

const setting = (s: BackingService, key: string): string | null => {
  const f = s.settings[key];
  if (!f) return null;
  return `${key} ${f.value}${f.defaultOf ? ` (${f.defaultOf}'s default)` : ` (${f.source.file}:${f.source.line})`}`;
};

/** One line per service: what it is, its key settings with their sources, and what the cluster must provide. */
export function backingServiceSummary(s: BackingService): { title: string; settings: string[]; needs: string } {
  const title = `${LABEL[s.kind]} ${s.name}`;
  if (s.kind !== "redis") {
    const settings = Object.keys(s.settings).map((k) => setting(s, k)!).filter(Boolean);
    return { title, settings, needs: `a ${LABEL[s.kind]} the cluster reaches (a managed one, or a StatefulSet of your own); no manifest is written for it` };
  }
  const bytes = s.settings["maxmemory-bytes"]?.value;
  const settings = ["maxmemory", "maxmemory-policy", "appendonly", "save"].map((k) => setting(s, k)).filter((x): x is string => x !== null);
  if (bytes && bytes !== "0" && s.settings["maxmemory"]?.value !== bytes) settings[0] = `${settings[0]} = ${bytes} bytes`;
  if (s.settings["include"]) settings.push(`include ${s.settings["include"].value} (${s.settings["include"].source.file}:${s.settings["include"].source.line}: not read)`);
  if (!s.config) settings.push("no config in the repo is tied to it: the settings are Redis's defaults, the servers' own file may say otherwise");
  const needs =
    redisRole(s.settings) === "cache"
      ? "a cache: it evicts keys when full, so any Redis with the same maxmemory and maxmemory-policy will do (a managed cache, or one without persistence); keep it apart from a Redis that must keep its keys"
      : "a store that keeps every key (noeviction: writes fail when full, nothing is evicted): a persistent Redis (AOF or snapshots) with maxmemory-policy noeviction, never an evicting cache's instance";
  return { title, settings, needs };
}
