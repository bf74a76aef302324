// Deploy commands are read as Ruby reads them, not only line by line: a `command_map[...] =` whose
// value is on the next line or a heredoc, an `execute` whose words run over lines, a heredoc of
// shell. A systemd unit kept in the repo whose ExecStart= runs a datastore's server (Redis,
// memcached, Elasticsearch/OpenSearch, PostgreSQL, MySQL) is a service named for its unit, at the
// ExecStart= line. The app and its units are this test's own.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { execStarts, readUnit } from "../../analyzers/services/unit-file.js";

const lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n\nBUNDLED WITH\n   2.4.22\n";
const DEPLOY = `set :application, "tallyho"
SSHKit.config.command_map[:queue_store] =
  "sudo systemctl"
SSHKit.config.command_map[:finder] = <<~CMD.strip
  sudo service tallyho-opensearch
CMD

namespace :stores do
  task :start do
    on roles(:app) do
      execute :queue_store,
              :restart,
              "tallyho-redis-queue"
      execute :finder, :start
      execute <<~SH
        cd /srv/tallyho && memcached -d -m 128 -p 11213
      SH
    end
  end
end
after "deploy:publishing", "stores:start"
`;
const CACHE_UNIT = `[Unit]
Description=tallyho page cache
# ExecStart=/usr/bin/redis-server /etc/redis/old.conf

[Service]
User=redis
ExecStart=/usr/bin/redis-server \\
    /etc/tallyho/redis-cache.conf --supervised systemd
Restart=always
`;

const app = (extra: Record<string, string>) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": DEPLOY,
    "config/deploy/production.rb": 'server "app1.tallyho.example.org", roles: %w[web app db]\n',
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\n',
    "Gemfile.lock": lock,
    ...extra,
  });

describe("deploy commands over lines, and systemd units", () => {
  it("command_map on the next line or in a heredoc, an execute over three lines, a heredoc of shell; units' ExecStart=", async () => {
    const m = await analyzeFiles(
      app({
        "lib/capistrano/templates/tallyho-redis-cache.service.erb": CACHE_UNIT,
        "config/redis-cache.conf": "maxmemory 200mb\nmaxmemory-policy allkeys-lru\n",
        "deploy/systemd/search.service": "[Service]\nExecStart=-/usr/share/elasticsearch/bin/elasticsearch -p /run/es.pid\n",
        "config/systemd/tallyho-db.service": "[Service]\nExecStart=/usr/lib/postgresql/16/bin/postgres -D /var/lib/postgresql/16/main\n",
        "config/systemd/tallyho-mysql.service.erb": "[Service]\nExecStart=\nExecStart=/usr/sbin/mysqld --defaults-file=<%= shared_path %>/my.cnf\n",
        // Vendored code's unit: never the app's servers'.
        "vendor/bundle/ruby/3.2.0/gems/somegem-1.0/contrib/redis-x.service": "[Service]\nExecStart=/usr/bin/redis-server\n",
        // Not a datastore: never listed.
        "config/systemd/tallyho-web.service": "[Service]\nExecStart=/usr/bin/env bundle exec puma -C config/puma.rb\n",
      }),
      "tallyho",
    );
    const got = m.services!.map((s) => [s.kind, s.name, `${s.source.file}:${s.source.line}`, s.via ? `${s.via.file}:${s.via.line}` : null]);
    // In the deploy file's line order: the execute over three lines is read as one command at its first line.
    expect(got).toEqual([
      ["redis", "tallyho-redis-queue", "config/deploy.rb:11", "config/deploy.rb:2"],
      ["opensearch", "tallyho-opensearch", "config/deploy.rb:14", "config/deploy.rb:4"],
      ["memcached", "memcached", "config/deploy.rb:16", null],
      ["postgresql", "tallyho-db", "config/systemd/tallyho-db.service:2", null],
      ["mysql", "tallyho-mysql", "config/systemd/tallyho-mysql.service.erb:3", null],
      ["elasticsearch", "search", "deploy/systemd/search.service:2", null],
      ["redis", "tallyho-redis-cache", "lib/capistrano/templates/tallyho-redis-cache.service.erb:7", null],
    ]);
    const cache = m.services!.find((s) => s.name === "tallyho-redis-cache")!;
    expect(cache.config).toMatchObject({ file: "config/redis-cache.conf" });
    expect(cache.settings["maxmemory-policy"]).toEqual({ value: "allkeys-lru", source: { file: "config/redis-cache.conf", line: 2 } });
    expect(m.services!.find((s) => s.kind === "memcached")!.settings["memory"]!.value).toBe("128m");
  });

  it("the unit reader: sections, continuation, comments, a reset ExecStart=, systemd's prefixes", () => {
    const e = readUnit("[Service]\n; note\nExecStart=/a \\\n  # skipped\n  -x\nExecStart=\nExecStart=@/b c\nExecStart=-/d\n[Install]\nExecStart=/e\n");
    expect(e[0]).toEqual({ section: "Service", key: "ExecStart", value: "/a  -x", line: 3 });
    expect(execStarts(e)).toEqual([
      { command: "/b c", line: 7 },
      { command: "/d", line: 8 },
    ]);
  });
});
