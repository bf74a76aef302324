// `File.join(shared_path, "puma.rb")` in a deploy file: the path Ruby builds, checked against real
// Ruby's File.join for the separator rules (a part starting with `/` replaces the trailing ones;
// a result ending in `/` gets none added; Arrays are flattened).
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { analyze, CAPFILE3 } from "./analyze.js";

const CASES = [
  `File.join(shared_path, "puma.rb")`,
  `File.join(shared_path, 'tmp', 'pids', 'puma.pid')`,
  `File.join("/srv/a/", "/b")`,
  `File.join("/srv/a//", "//b/")`,
  `File.join("/", "/x")`,
  `File.join("/srv", "")`,
  `File.join(deploy_to, ["shared", "config"], "x.yml")`,
];

describe("File.join as Ruby computes it", () => {
  it("each case equals real Ruby's", async () => {
    const deploy = `set :application, "x"\nset :deploy_to, "/srv/app"\n${CASES.map((c, i) => `set :j${i}, ${c}`).join("\n")}\n`;
    const r = await analyze({ Capfile: CAPFILE3, "config/deploy.rb": deploy, "config/deploy/p.rb": "" });
    const script = `def shared_path; "/srv/app/shared"; end\ndef deploy_to; "/srv/app"; end\nputs [${CASES.join(", ")}].inspect`;
    const ruby = spawnSync("ruby", ["-e", script], { encoding: "utf8" });
    expect(ruby.status, ruby.stderr).toBe(0);
    const real = JSON.parse(ruby.stdout) as string[];
    expect(CASES.map((_, i) => r.v("p", `j${i}`))).toEqual(real);
  });

  it("a part not known statically leaves the join unknown", async () => {
    const r = await analyze({ Capfile: CAPFILE3, "config/deploy.rb": `set :j, File.join(shared_path, ENV["X"].to_s)\n`, "config/deploy/p.rb": "" });
    expect(r.v("p", "j")).toMatchObject({ unknown: expect.any(String) });
  });
});
