// The container Unicorn and Puma configs of an app whose config names hostile things: a file name
// with a newline and an interpolation, ENV names with quotes and backticks. The generated Ruby holds
// each only as string content (Ripper), and Unicorn's own Configurator and the Puma DSL recorder read
// the configs with the hostile ENV names working as names, and nothing planted runs.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AppModel } from "../../src/model.js";
import { emitContainer } from "../../emitters/container/index.js";
import { APP_DIR, PUMA_CONTAINER_CONFIG, SOCKET_DIR, UNICORN_CONTAINER_CONFIG } from "../../emitters/contract.js";
import { ledgerModel, legacyModel } from "./models.js";

const MARK = "PWN";
const dir = mkdtempSync(join(tmpdir(), "r2k-hostile-ruby-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILE = `config/unicorn"#{\`touch ${MARK}_file\`}"\n__END__\nsystem("touch ${MARK}_line").rb`;
const ENV_NAME = `W"#{\`touch ${MARK}_env\`}"\\%>`;

function hostileUnicorn(): AppModel {
  const m = legacyModel();
  const s = m.appServers[0]!;
  s.file = FILE;
  s.workers = { value: { env: ENV_NAME, default: 3 }, source: { file: FILE, line: 2 } };
  s.timeout = { value: `45"; system("touch ${MARK}_timeout"); "`, source: { file: FILE, line: 3 } };
  return m;
}

function hostilePuma(): AppModel {
  const m = ledgerModel();
  const s = m.appServers[0]!;
  s.file = FILE.replace("unicorn", "puma");
  s.timeout = { value: { env: ENV_NAME, default: 30 }, source: { file: s.file, line: 14 } };
  return m;
}

const configOf = (m: AppModel, path: string) => emitContainer(m, {}).files.find((f) => f.path === path)!.content;

describe("container server configs from a hostile app", () => {
  const unicorn = configOf(hostileUnicorn(), UNICORN_CONTAINER_CONFIG);
  const puma = configOf(hostilePuma(), PUMA_CONTAINER_CONFIG);

  it("hold every planted value only as string content", () => {
    const r = spawnSync("ruby", [join(import.meta.dirname, "../rails-config/inert.rb"), MARK], { input: JSON.stringify({ "unicorn.rb": unicorn, "puma.rb": puma }), encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    for (const [path, v] of Object.entries(JSON.parse(r.stdout) as Record<string, { syntax: true | string; code: string[] }>)) {
      expect(v.syntax, path).toBe(true);
      expect(v.code, path).toEqual([]);
    }
  });

  it("are read by Unicorn and Puma with the hostile ENV name as a name, and nothing planted runs", () => {
    const relocate = (t: string) => t.split(`"${APP_DIR}"`).join(JSON.stringify(dir)).split(SOCKET_DIR).join(join(dir, "sock"));
    writeFileSync(join(dir, "u.rb"), relocate(unicorn));
    writeFileSync(join(dir, "p.rb"), relocate(puma));
    const cases = [
      { id: "unicorn", kind: "unicorn", path: join(dir, "u.rb"), env: { [ENV_NAME]: "7" } },
      { id: "puma", kind: "puma", path: join(dir, "p.rb"), env: { [ENV_NAME]: "9" } },
    ];
    writeFileSync(join(dir, "cases.json"), JSON.stringify(cases));
    const out = JSON.parse(execFileSync("ruby", [join(import.meta.dirname, "load_configs.rb"), join(dir, "cases.json")], { encoding: "utf8", cwd: dir }));
    // The app's own ENV name still sets the workers; the timeout that was not a number is not written.
    expect(out.unicorn).toMatchObject({ worker_processes: 7, timeout: 60 });
    expect(out.puma).toMatchObject({ worker_timeout: 9 });
    expect(readdirSync(dir).filter((f) => f.startsWith(MARK))).toEqual([]);
  });
});
