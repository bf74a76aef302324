// Backing services whose address is only the default of an ENV read: informational lines, not
// hazards (analyzers/hazards.ts leaves them out), shared by the analyze report and MIGRATION.md.
import type { AppModel, Source } from "../model.js";
import { LOCAL_KIND_LABEL } from "./local-kinds.js";

/**
 * The addresses that are only the default of an ENV read (`ENV.fetch("REDIS_URL") { "redis://localhost:6379/1" }`
 * in Rails' stock cable.yml): no hazard, since the app uses them only where the variable is unset, but
 * the pod must set it. One informational line each, naming the variable; the report and MIGRATION.md
 * show them apart from the hazards.
 */
export function envDefaultAddresses(m: Pick<AppModel, "localAddresses">): { env: string; message: string; source: Source }[] {
  return (m.localAddresses ?? [])
    .filter((a): a is typeof a & { envDefault: string } => !!a.envDefault)
    .map((a) => {
      const label = LOCAL_KIND_LABEL[a.kind];
      const stages = [...a.stages, ...(a.unsure?.stages ?? [])];
      const how = a.defaultOf ? `${a.address} (written nowhere: ${a.defaultOf})` : a.address;
      return {
        env: a.envDefault,
        message: `${a.what} reads ${label} from ENV["${a.envDefault}"] (stage${stages.length > 1 ? "s" : ""} ${stages.join(", ")}): set ${a.envDefault} in each stage's pod (config.env, or secrets.env when the URL holds a password) to the ${label.replace(/^an? /, "")} the cluster reaches; unset, the app falls back to ${how}, the pod itself`,
        source: a.source,
      };
    });
}
