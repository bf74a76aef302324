// A daemon's environment that points at the server itself (`REDIS_HOST=localhost`,
// `http://127.0.0.1:9200`) is not carried into its worker's Deployment: in a pod localhost is the pod
// itself, the wrong host (audit B s26 #5). Each is named at its line, value not shown; the rest is
// carried. The app ("tollbooth", a Capistrano 3 deploy with a systemd unit of its own) is written for this test.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { daemonEnv } from "../../analyzers/workers/daemon-env.js";

const UNIT = `[Unit]
Description=tollbooth lane counter
[Service]
WorkingDirectory=/srv/tollbooth/current
Environment=LANE_CACHE_HOST=localhost
Environment=LANE_SEARCH=http://127.0.0.1:9200/lanes
Environment=LANE_PEERS=10.2.0.7:7000,127.0.0.1:7000
Environment=LANE_MODE=batch
Environment=LANE_FEED=https://feeds.tollbooth.example/lanes
ExecStart=/usr/bin/bundle exec ruby bin/lanes.rb
[Install]
WantedBy=multi-user.target
`;

describe("a daemon's local addresses", () => {
  it("are named at their lines, not carried; other values are", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
        "config/deploy.rb": 'set :application, "tollbooth"\nset :deploy_to, "/srv/tollbooth"\n',
        "config/deploy/production.rb": 'server "booth1.example.net", roles: %w[app web db]\n',
        "bin/lanes.rb": "loop { sleep 5 }\n",
        "ops/lanes.service": UNIT,
        "ops/install.sh": "#!/bin/sh\nsystemctl enable lanes\n",
      }),
      "tollbooth",
    );
    const w = m.workers!.find((x) => x.name === "worker-lanes")!;
    expect(w.carried).toBe(true);
    expect(w.env).toEqual({ LANE_MODE: "batch", LANE_FEED: "https://feeds.tollbooth.example/lanes" });
    const said = m.problems.filter((p) => p.file === "ops/lanes.service" && /workers\.daemon-start-not-carried/.test(p.message));
    expect(said.map((p) => p.line)).toEqual([5, 6, 7]);
    for (const p of said) {
      expect(p.message).toMatch(/address of the server itself.*in a pod localhost is the pod itself/);
      expect(p.message).not.toMatch(/127\.0\.0\.1|=localhost/);
    }
  });

  it.each(["localhost", "127.0.0.1:6379", "redis://localhost:6379/1", "http://0.0.0.0:9200", "[::1]:11211", "a.example:1,localhost:2"])("%s is not carried", (value) => {
    const at = { file: "ops/x.service", line: 3 };
    const e = daemonEnv([{ name: "PEER", value, source: at }]);
    expect(e.env).toEqual({});
    expect(e.notCarried).toHaveLength(1);
  });

  it.each(["localhost.example.net", "db-localhost", "redis://cache.internal:6379", "127.0.0.1x"])("%s is carried", (value) => {
    const e = daemonEnv([{ name: "PEER", value, source: { file: "ops/x.service", line: 3 } }]);
    expect(e.env).toEqual({ PEER: value });
  });
});
