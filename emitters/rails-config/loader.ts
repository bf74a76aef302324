// The loader initializer: reads every config/custom file with config_for and exposes it as
// Rails.configuration.x.<namespace>, read the way Global was read: `x.payment.endpoint` at any
// depth, `x.payment[:endpoint]`, `x.flags.beta?`, a missing key raising NoMethodError.
//
// The wrapper answers the same methods Global's configuration object answered (key?, [], fetch,
// to_hash, to_json, inspect, hash — the data, as Global's `attr_reader :hash` —, filter,
// get_configuration_value) and nothing else of its own: it is a plain Object, not a
// Hash, so keys like `count`, `key`, `default`, `size`, `name`, `select` are read as keys, exactly
// as they were under Global. A key named like one of Object's other methods (`class`,
// `display`) is read as the key too, where the namespace has it (issue 12); the reflective core
// (`send`, `respond_to?`, `is_a?`, `method`, `tap`, `to_s`...) always stays Object's. `to_h` gives the plain nested Hash (String keys), as the verify task needs.
import type { PlannedFile } from "./plan.js";
import template from "./loader.rb.tmpl?raw";
import { fill } from "../text/fill.js";
import { rubyStringHash } from "../encode/ruby.js";

// "00_": initializers run in file-name order, and the app's own may read the settings at load.
export const LOADER_PATH = "config/initializers/00_rails2k8s_config.rb";

/** Global v3 casts `key?` to a boolean; v1–v2 only strip the `?`. */
export function castsPredicates(globalVersion: string | null): boolean {
  if (!globalVersion) return true;
  return (parseInt(globalVersion.split(".")[0], 10) || 0) >= 3;
}

export function loaderSource(files: PlannedFile[], globalVersion: string | null): string {
  return fill(
    template,
    { config_files: rubyStringHash(files.map((f) => [f.namespace, f.configFor] as const), "  "), casts_predicates: castsPredicates(globalVersion) ? "true" : "false" },
    "loader.rb.tmpl",
  );
}
