// A unit kept in the repo may run a worker another reader already carries (capistrano-resque's
// `rake resque:work`): the unit is then only evidence, and the worker's Deployment comes from the other
// reader. The unit's own Environment= must still be said — on that worker and at the unit's lines —
// by name only, the values (one a URL with a password) shown nowhere.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "./app.js";

const PASS = "wq4Hn8Ls2Vd";
const UNIT = `[Unit]\nDescription=parcel mail worker\n[Service]\nWorkingDirectory=/srv/parcel/current\nEnvironment=MAIL_BANNER=hello\nEnvironment=RELAY_URL=https://relay:${PASS}@relay.example.org/in\nEnvironmentFile=-/etc/parcel/mail.env\nExecStart=/usr/bin/bundle exec rake environment resque:work QUEUE=mail\n[Install]\nWantedBy=multi-user.target\n`;

describe("a unit that is only evidence of another worker", () => {
  it("its Environment= names reach that worker's note and a warning at each line", async () => {
    const m = await analyzeFiles(
      pluginApp('set :workers, { "mail" => 1 }\n', { production: 'server "a.parcel.example.org", roles: %w[web app db resque_worker]\n' }, { "ops/mail-worker.service": UNIT, "ops/install.sh": "#!/bin/sh\nsystemctl enable mail-worker\n" }, { resque: "2.6.0", "capistrano-resque": "0.2.3" }, 'require "capistrano-resque"\n'),
      "parcel",
    );
    const w = m.workers!.find((x) => x.evidence.some((e) => e.source?.file === "ops/mail-worker.service"))!;
    expect(w).toBeDefined();
    expect(w.commandSource?.file).not.toBe("ops/mail-worker.service");
    expect(w.commandNote).toMatch(/`MAIL_BANNER`/);
    expect(w.commandNote).toMatch(/`RELAY_URL`/);
    expect(w.commandNote).toMatch(/\/etc\/parcel\/mail\.env/);
    const warned = m.problems.filter((p) => p.file === "ops/mail-worker.service" && /evidence-unit-env-not-carried/.test(p.message));
    expect(warned.map((p) => p.line)).toEqual([5, 6, 7]);
    expect(JSON.stringify(m)).not.toContain(PASS);
  });
});
