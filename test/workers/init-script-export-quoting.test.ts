// An init script's exports carried with the values the shell gives them: bash itself reads the script's
// top (up to its `case`) and prints each exported name, and the worker's env must agree with it for each
// value the analysis carries; what it does not carry (a brace bash expands, a command substitution, a
// variable the script does not set) is named at its line instead.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const TOP = [
  "#!/bin/bash",
  "### BEGIN INIT INFO",
  "# Provides:          sorter",
  "### END INIT INFO",
  "ZONE=west",
  `export SORT_MIX=x"y z"`,
  `export SORT_QUOTE='it'"'"'s'`,
  `export SORT_ESC=a\\ b SORT_DQ="lane $ZONE \\"two\\"" # a trailing comment`,
  "declare -x SORT_DECL=declared",
  "typeset -x SORT_TYPESET=typed",
  "export SORT_BRACE=pre{a,b}post",
  "export SORT_CMD=$(id -un) SORT_AFTER=1",
  "export SORT_UNSET=$NOT_SET_HERE/x",
  "declare -xi SORT_SUM=1+1",
];
const SCRIPT = `${TOP.join("\n")}\ncase "$1" in\n  start)\n    cd /srv/sorter/current && bundle exec ruby bin/sort.rb &\n    ;;\n  stop)\n    kill -TERM \`cat /tmp/sort.pid\`\n    ;;\nesac\n`;
const CARRIED = ["SORT_MIX", "SORT_QUOTE", "SORT_ESC", "SORT_DQ", "SORT_DECL", "SORT_TYPESET"];

describe("init-script exports follow the shell's quoting", () => {
  it("carries what bash gives, names what it cannot decide", async () => {
    const printed = spawnSync("bash", ["-c", `${TOP.slice(1).join("\n")}\nfor n in ${CARRIED.join(" ")} SORT_BRACE; do printf '%s\\0' "\${!n}"; done`], { encoding: "utf8" });
    expect(printed.status, printed.stderr).toBe(0);
    const bash = printed.stdout.split("\0");
    // bash's own reading, for the record: the brace expands (and the name is set twice, the last wins).
    expect(bash[CARRIED.length]).toBe("prebpost");
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
        "config/deploy.rb": 'set :application, "sorter"\nset :deploy_to, "/srv/sorter"\n',
        "config/deploy/production.rb": 'server "s1.example.net", roles: %w[app web db]\n',
        "bin/sort.rb": "loop { sleep 5 }\n",
        "ops/rc/sorter": SCRIPT,
        "ops/install.sh": "#!/bin/sh\ncp ops/rc/sorter /etc/init.d/sorter\nupdate-rc.d sorter defaults\n",
      }),
      "sorter",
    );
    const w = m.workers!.find((x) => x.name === "worker-sorter")!;
    expect(w.carried).toBe(true);
    expect(w.env).toEqual(Object.fromEntries(CARRIED.map((n, i) => [n, bash[i]])));
    const named = m.problems.filter((p) => p.file === "ops/rc/sorter" && /daemon-start-not-carried/.test(p.message));
    const byName = (n: string) => named.find((p) => p.message.includes(`\`${n}\``));
    const lineOf = (n: string) => TOP.findIndex((l) => l.includes(`${n}=`)) + 1;
    expect(byName("SORT_BRACE")?.line).toBe(lineOf("SORT_BRACE"));
    expect(byName("SORT_BRACE")?.message).toMatch(/brace expansion/);
    expect(byName("SORT_CMD")?.message).toMatch(/command substitution/);
    expect(byName("SORT_AFTER")?.line).toBe(lineOf("SORT_AFTER"));
    expect(byName("SORT_UNSET")?.message).toMatch(/NOT_SET_HERE is not set/);
    expect(byName("SORT_SUM")?.message).toMatch(/declare -xi/);
    // No word of a value is taken for a name of its own (`z"` of `x"y z"`).
    expect(named.some((p) => /`z`/.test(p.message))).toBe(false);
  });
});
