// Upstart jobs kept in the repo (lib/etc/*.conf) that run the app's code from the deploy_to: named
// as processes no Deployment runs. What they print must never hold a secret set inline on the exec
// line, and the .conf files past the reading limit are said, not silently skipped. The app is
// written here: "kiln", a Capistrano 3 deploy to /srv/kiln.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const kiln = (extra: Record<string, string>) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": 'set :application, "kiln"\nset :deploy_to, "/srv/kiln"\n',
    "config/deploy/production.rb": 'server "kiln1.example.net", roles: %w[app web db]\n',
    ...extra,
  });
const job = (exec: string) => `description "kiln crawler"\nstart on runlevel [2345]\nrespawn\nexec ${exec}\n`;
const TOKEN = "q8ZtR2vLx9WmK4pN7sYb";

describe("upstart jobs kept in the repo", () => {
  it("a secret set inline on the exec line is cut before the line is shown, even where the line is shortened through it", async () => {
    const pad = "x".repeat(148);
    const m = await analyzeFiles(
      kiln({
        "lib/etc/crawler.conf": job(`env API_KEY=${TOKEN} FOO_TOKEN=${TOKEN}z /srv/kiln/current/bin/crawler`),
        "lib/etc/long.conf": job(`/srv/kiln/current/bin/long --label ${pad} MAILER_TOKEN=${TOKEN}`),
      }),
      "kiln",
    );
    const u = (n: string) => m.uncarried!.find((x) => x.name === n)!;
    expect(u("crawler").command).toBe("env API_KEY=[secret] FOO_TOKEN=[secret] /srv/kiln/current/bin/crawler");
    expect(u("long").command).toMatch(/ MAILER_TOKEN=\[se$/);
    expect(JSON.stringify(m)).not.toMatch(/q8Z/);
  });

  it("the .conf files past the first 200 are said, with how many were not read", async () => {
    const many = Object.fromEntries(Array.from({ length: 203 }, (_, i) => [`config/nginx/site${String(i).padStart(3, "0")}.conf`, "server { listen 80; }\n"]));
    const m = await analyzeFiles(kiln(many), "kiln");
    const w = m.problems.filter((p) => p.message.startsWith("workers.upstart-files-not-read:"));
    expect(w.map((p) => [p.file, p.severity])).toEqual([["config/nginx/site200.conf", "warning"]]);
    expect(w[0]!.message).toMatch(/^workers\.upstart-files-not-read: 3 \.conf files were not read/);
  });
});
