// A search daemon the deploy (re)starts through its gem's rake task ran on the servers beside the app:
// no pod runs it, so it is named as a process no Deployment carries, and where the client's config
// names no address the app reaches it at the gem's default address on its own machine (a
// services.localhost hazard, the default cited as the gem's). A socket the app's own code opens to a
// literal local path or localhost port is a service beside the app no pod runs either.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const lock = (gems: Record<string, string>) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(gems).map(([g, v]) => `    ${g} (${v})\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Object.keys(gems).map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.4.22\n`;

// A Capistrano 2 deploy whose own task rebuilds the search index and restarts searchd before the app restarts.
const DEPLOY_TS = [
  'set :application, "atlas"',
  'set :repository, "git@example.invalid:atlas.git"',
  'role :app, "atlas-app.example.invalid"',
  'role :web, "atlas-app.example.invalid"',
  'role :db, "atlas-app.example.invalid", :primary => true',
  "namespace :search do",
  "  task :reindex do",
  '    run "cd #{release_path} && bundle exec rake thinking_sphinx:rebuild RAILS_ENV=production"',
  "  end",
  "end",
  "before 'deploy:restart', 'search:reindex'",
  "",
].join("\n");

const base = (extra: Record<string, string>, gems: Record<string, string>) =>
  memoryRepo({
    Capfile: "load 'deploy'\nload 'config/deploy'\n",
    "config/deploy.rb": DEPLOY_TS,
    "Gemfile.lock": lock({ rails: "4.2.11", mysql2: "0.4.10", unicorn: "5.4.1", ...gems }),
    "config/database.yml": "production:\n  adapter: mysql2\n  host: db.example.invalid\n  database: atlas\n",
    ...extra,
  });

describe("search daemons the deploy starts", () => {
  it("thinking-sphinx 2: searchd is not carried, and its section without an address is 127.0.0.1:9312, the gem's default", async () => {
    const m = await analyzeFiles(base({ "config/sphinx.yml": "development:\n  port: 9313\nproduction:\n  bin_path: /usr/local/bin\n  max_matches: 2000\n" }, { "thinking-sphinx": "2.1.0" }), "atlas");
    const p = (m.uncarried ?? []).find((u) => u.name === "searchd");
    expect(p?.source).toEqual({ file: "config/deploy.rb", line: 8 });
    expect(p?.why).toMatch(/thinking_sphinx:rebuild/);
    const a = (m.localAddresses ?? []).find((x) => x.kind === "sphinx");
    expect(a).toMatchObject({ address: "127.0.0.1:9312", source: { file: "config/sphinx.yml", line: 3 }, stages: ["production"] });
    expect(a?.defaultOf).toMatch(/thinking-sphinx 2\.1\.0's default/);
    const h = m.hazards.find((x) => x.id === "services.localhost" && /Sphinx/.test(x.message));
    expect(h?.message).toMatch(/127\.0\.0\.1:9312 \(written nowhere/);
  });

  it("thinking-sphinx 3+: config/thinking_sphinx.yml, default mysql41 port 9306; an address written elsewhere gives no default", async () => {
    const m = await analyzeFiles(base({}, { "thinking-sphinx": "4.4.1" }), "atlas");
    expect((m.localAddresses ?? []).find((x) => x.kind === "sphinx")).toMatchObject({ address: "127.0.0.1:9306", source: { file: "config/deploy.rb", line: 8 } });
    const named = await analyzeFiles(base({ "config/thinking_sphinx.yml": "production:\n  address: search.example.invalid\n  mysql41: 9306\n" }, { "thinking-sphinx": "4.4.1" }), "atlas");
    expect((named.localAddresses ?? []).filter((x) => x.kind === "sphinx")).toEqual([]);
    expect((named.uncarried ?? []).map((u) => u.name)).toContain("searchd");
  });

  it("sunspot: `sunspot:solr:start` is Solr not carried, localhost:8983 without a hostname; no gem locked, no claim", async () => {
    const files = { "config/deploy.rb": DEPLOY_TS.replace("thinking_sphinx:rebuild", "sunspot:solr:start"), "config/sunspot.yml": "production:\n  solr:\n    port: 8983\n    log_level: WARNING\n" };
    const m = await analyzeFiles(base(files, { sunspot_rails: "2.5.0", sunspot_solr: "2.5.0" }), "atlas");
    expect((m.uncarried ?? []).find((u) => u.name === "solr")?.source).toEqual({ file: "config/deploy.rb", line: 8 });
    expect((m.localAddresses ?? []).find((x) => x.kind === "solr")).toMatchObject({ address: "localhost:8983", source: { file: "config/sunspot.yml", line: 1 } });
    const none = await analyzeFiles(base(files, {}), "atlas");
    expect((none.uncarried ?? []).filter((u) => u.name === "solr")).toEqual([]);
  });
});

describe("sockets the app's code opens", () => {
  it("a unix socket path or a localhost port written in app code is a local service no pod runs; a port not written is left alone", async () => {
    const m = await analyzeFiles(
      base(
        {
          "lib/render_client.rb": "class RenderClient\n  def self.call(body)\n    # UNIXSocket.new('/tmp/old.sock') was the first try\n    sock = UNIXSocket.new(\"/var/run/atlas/render.sock\")\n    sock.write(body)\n  end\nend\n",
          "app/services/stats_push.rb": "class StatsPush\n  def push(line)\n    TCPSocket.open('127.0.0.1', 8125) { |s| s.puts(line) }\n  end\n  def self_ping\n    TCPSocket.new('localhost', $own_port)\n  end\nend\n",
        },
        {},
      ),
      "atlas",
    );
    const found = (m.localAddresses ?? []).filter((x) => /Socket in the app's code/.test(x.what)).map((x) => `${x.kind} ${x.address} ${x.source.file}:${x.source.line}`).sort();
    expect(found).toEqual(["local /var/run/atlas/render.sock lib/render_client.rb:4", "local 127.0.0.1:8125 app/services/stats_push.rb:3"].sort());
    const h = m.hazards.filter((x) => x.id === "services.localhost" && /a local service/.test(x.message));
    expect(h.map((x) => `${x.source.file}:${x.source.line}`).sort()).toEqual(["app/services/stats_push.rb:3", "lib/render_client.rb:4"]);
  });
});
