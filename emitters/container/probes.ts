// config/initializers/rails2k8s_probes.rb: the liveness path of the web container (a Rack middleware
// first in the stack, so neither the database nor host checks can fail it; see kustomize/rules/health.ts livenessPath)
// and the heartbeat file of worker containers. The Ruby is
// probes.rb.tmpl; its slots take Ruby literals only.
import template from "./probes.rb.tmpl?raw";
import { fill } from "../text/fill.js";
import { rubyString, rubyInteger } from "../encode/ruby.js";
import { HEARTBEAT_ENV, HEARTBEAT_SECONDS, LIVENESS_PATH } from "../kustomize/rules/health.js";

export const PROBES_INITIALIZER = "config/initializers/rails2k8s_probes.rb";

export function emitProbesInitializer(): string {
  return fill(
    template,
    { live_path: rubyString(LIVENESS_PATH), heartbeat_env: rubyString(HEARTBEAT_ENV), seconds: rubyInteger(HEARTBEAT_SECONDS) },
    "probes.rb.tmpl",
  );
}
