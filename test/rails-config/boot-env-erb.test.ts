// ENV names read inside ERB tags that cannot be evaluated here (`ENV["X"]&.split(",")`) in a Global
// file and in another config/*.yml: still ENV the app reads at boot, listed with file:line, so the
// stage's config.env says to set them. And an empty default in an unquoted tag renders an empty
// scalar, which YAML reads as nil: the default reported is nil, not "" (checked against Psych).
import { describe, it, expect, beforeAll } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { configEnvFile } from "../../emitters/contract.js";
import { renderReport } from "../../src/report.js";
import { redaction } from "../../src/redact.js";
import type { AppModel, EmittedFile } from "../../src/model.js";
import { rubyLoad } from "./harness.js";

const CACHE = `default:
  servers:
    - "<%= ENV.fetch('CACHE_HOST', 'localhost') %>:11211"
  pool_size: 5
production:
  servers: <%= ENV["CACHE_CLUSTER_NODES"]&.split(",") %>
  username: <%= ENV["CACHE_USERNAME"] %>
`;
const MAILER = `default:
  from: <%= ENV.fetch('MAILER_FROM') { '' } %>
  reply_to: "<%= ENV.fetch('MAILER_REPLY_TO') { '' } %>"
`;
const QUEUE = `production:
  hosts: <%= ENV.fetch("QUEUE_HOSTS", "").split(",").map(&:strip) %>
  <% if ENV['QUEUE_TLS'] %>
  tls: true
  <% end %>
`;

const APP: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 6.1"\ngem "global"\ngem "unicorn"\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    global (2.1.0)\n    rails (6.1.7)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  global\n  rails (~> 6.1)\n  unicorn\n\nBUNDLED WITH\n   2.4.22\n",
  "config/application.rb": "module Notes\n  class Application < Rails::Application\n  end\nend\n",
  "config/initializers/global.rb": "Global.configure do |config|\n  config.backend :filesystem, environment: Rails.env.to_s, path: Rails.root.join('config/global').to_s\nend\n",
  "config/deploy.rb": 'set :application, "notes"\nset :repo_url, "git@example.com:notes.git"\n',
  "config/deploy/production.rb": 'server "web1.example.com", user: "deploy", roles: %w[web app]\n',
  "config/global/cache.yml": CACHE,
  "config/global/mailer.yml": MAILER,
  "config/queue.yml": QUEUE,
};

let model: AppModel;
let files: EmittedFile[];
beforeAll(async () => {
  model = await analyzeFiles(memoryRepo(APP), "notes");
  const answers = Object.fromEntries(model.gaps.map((g) => [g.id, g.default]));
  files = EMITTERS.flatMap((e) => e.emit(model, answers).files);
}, 60_000);

describe("ENV read inside ERB the analysis cannot evaluate", () => {
  it("is listed as read at boot, with file:line and the section it sits in", () => {
    const reads = (model.bootEnv ?? []).map((r) => [r.env, `${r.source.file}:${r.source.line}`, r.railsEnv]);
    expect(reads).toContainEqual(["CACHE_CLUSTER_NODES", "config/global/cache.yml:6", "production"]);
    expect(reads).toContainEqual(["QUEUE_HOSTS", "config/queue.yml:2", "production"]);
    expect(reads).toContainEqual(["QUEUE_TLS", "config/queue.yml:3", "production"]);
    // Names the Global analysis read as values are not listed twice; ERB renders the whole file, so a
    // tag in a section production's value replaces is still read at boot (every environment).
    expect(reads.filter(([n]) => n === "CACHE_USERNAME")).toEqual([]);
    expect(reads).toContainEqual(["CACHE_HOST", "config/global/cache.yml:3", null]);
    const report = renderReport(redaction(model).model, { color: false });
    expect(report).toMatch(/CACHE_CLUSTER_NODES +production only +no default +config\/global\/cache\.yml:6/);
  });

  it("reaches the stage's config.env, to be filled", () => {
    const env = files.find((f) => f.path === configEnvFile("production"))!.content;
    expect(env).toMatch(/^# CACHE_CLUSTER_NODES=/m);
    expect(env).toMatch(/^# QUEUE_HOSTS=/m);
  });
});

describe("an empty default in an unquoted ERB tag", () => {
  it("is nil, as Psych reads the rendered file; quoted it stays an empty String", () => {
    const [psych] = rubyLoad([MAILER]) as [{ default: Record<string, unknown> }];
    expect(psych.default).toEqual({ from: null, reply_to: "" });
    const mailer = model.global!.namespaces.find((n) => n.name === "mailer")!;
    const prod = mailer.values.production as Record<string, { env: string; default: unknown }>;
    expect(prod.from).toEqual({ env: "MAILER_FROM", default: null });
    expect(JSON.stringify(prod.reply_to)).toContain('""');
    const env = files.find((f) => f.path === configEnvFile("production"))!.content;
    expect(env).not.toMatch(/mailer\.yml:2, default ""/);
  });
});
