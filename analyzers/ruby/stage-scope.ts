// The Scope under which a template is rendered for one Capistrano stage: `fetch(:x)` reads the
// stage's computed variables, the path helpers follow Capistrano's layout under `deploy_to`.
import type { RValue, Stage } from "../../src/model.js";
import { kind, argsOf } from "./prism.js";
import { rubyToS, type Scope } from "./evaluate.js";

const PATH_HELPERS: Record<string, string> = {
  shared_path: "shared",
  current_path: "current",
  releases_path: "releases",
  repo_path: "repo",
};

export function stageScope(stage: Stage): Scope {
  const vars = stage.variables;
  const get = (name: string): RValue | undefined => (name in vars ? vars[name].value : undefined);
  return {
    fetch(name, dflt) {
      const v = get(name);
      if (v !== undefined) return v;
      if (dflt !== undefined) return dflt;
      // Capistrano's fetch of an unset variable is nil.
      return null;
    },
    call(node) {
      if (node.receiver || argsOf(node).length) return undefined;
      const name: string = node.name;
      if (name === "deploy_to") return get("deploy_to");
      if (name in PATH_HELPERS) {
        const base = get("deploy_to");
        const s = base === undefined ? null : rubyToS(base);
        return s === null ? undefined : `${s}/${PATH_HELPERS[name]}`;
      }
      if (kind(node) === "CallNode" && name in vars) return get(name);
      return undefined;
    },
  };
}
