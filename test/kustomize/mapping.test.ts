// Mapping tests: each rule checked on the built objects (kubectl kustomize output) of hand-built models.
import { missingCommandFiles } from "../../analyzers/whenever.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { execFileSync } from "node:child_process";
import { requireKubectl, removeTrees } from "./kubectl.js";
import { emitAndBuild, find, all } from "./built.js";
import { ledgerModel, shopModel, SHOP_SECRET_VALUES } from "./models.js";
import { APP_PORT, NGINX_PID_FILE } from "../../emitters/contract.js";
import { cronCommand } from "../../emitters/kustomize/rules/cron-command.js";
import { defaultEnv } from "../../emitters/kustomize/rules/stage.js";
import { needsMigration } from "../../emitters/kustomize/rules/migration.js";
import { webServerCount } from "../../emitters/kustomize/rules/web.js";
import { serverLayoutPath } from "../../emitters/kustomize/rules/cron-server-only.js";
import { PRESTOP_SLEEP_SECONDS, webGracePeriod, workerGracePeriod } from "../../emitters/kustomize/rules/shutdown.js";
import { nginxTimeToSeconds, nginxSizeToBytes } from "../../emitters/kustomize/rules/edge.js";
import { heartbeatProbeCommand, HEARTBEAT_ENV, HEARTBEAT_FILE, LIVENESS_PATH } from "../../emitters/kustomize/rules/health.js";

beforeAll(() => {
  requireKubectl();
});
afterAll(removeTrees);

const webPod = (objs: any[]) => find(objs, "Deployment", "-web")["spec"].template.spec;
const workerPod = (objs: any[]) => find(objs, "Deployment", "-worker")["spec"].template.spec;

describe("grace periods", () => {
  it("web grace ≥ preStop sleep + Unicorn timeout + a few seconds, per stage", () => {
    const { stages } = emitAndBuild(shopModel());
    // production unicorn timeout 30, staging 60 (Unicorn's default)
    for (const [stage, timeout] of [["production", 30], ["staging", 60]] as const) {
      const pod = webPod(stages[stage]!);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(PRESTOP_SLEEP_SECONDS + timeout);
      expect(pod.terminationGracePeriodSeconds).toBe(PRESTOP_SLEEP_SECONDS + timeout + 5);
      const app = pod.containers.find((c: any) => c.name === "app");
      const pre = app.lifecycle.preStop.exec.command.join(" ");
      expect(pre).toMatch(new RegExp(`pid=1; sleep ${PRESTOP_SLEEP_SECONDS}; .*kill -QUIT "\\$pid"; while kill -0`));
      expect(pre).not.toMatch(/TERM/);
      expect(app.args).toEqual(["bundle", "exec", "unicorn", "-c", "config/unicorn/kubernetes.rb"]);
    }
  });

  it("Puma: grace above its worker_timeout default (60), preStop only sleeps", () => {
    const { stages } = emitAndBuild(ledgerModel());
    const pod = webPod(stages["production"]!);
    expect(pod.terminationGracePeriodSeconds).toBe(70);
    const app = pod.containers.find((c: any) => c.name === "app");
    expect(app.lifecycle.preStop.exec.command.join(" ")).not.toMatch(/QUIT/);
    expect(app.args).toEqual(["bundle", "exec", "puma", "-C", "config/puma/kubernetes.rb"]);
  });

  it("nginx sidecar drains with quit; the app waits for nginx's pid file to go before QUIT; liveness asks the app directly", () => {
    const { stages } = emitAndBuild(shopModel(), { "container.nginx_sidecar": true });
    const pod = webPod(stages["production"]!);
    const nginx = pod.containers.find((c: any) => c.name === "nginx");
    expect(nginx.lifecycle.preStop.exec.command.join(" ")).toMatch(/nginx -s quit/);
    const app = pod.containers.find((c: any) => c.name === "app");
    const pre = app.lifecycle.preStop.exec.command[2] as string;
    expect(pre.indexOf(NGINX_PID_FILE)).toBeGreaterThan(-1);
    expect(pre.indexOf(NGINX_PID_FILE)).toBeLessThan(pre.indexOf("kill -QUIT"));
    expect(app.livenessProbe.httpGet).toEqual({ path: LIVENESS_PATH, port: APP_PORT });
    expect(app.readinessProbe.httpGet.port).not.toBe(APP_PORT); // readiness goes through nginx
  });

  it("worker grace above the sidekiq timeout; TERM from the preStop; liveness is a shell test of the heartbeat file", () => {
    const { stages } = emitAndBuild(shopModel());
    for (const s of ["production", "staging"]) {
      const pod = workerPod(stages[s]!);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(40); // sidekiq.yml timeout: 40
      const c = pod.containers[0];
      expect(c.args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml"]);
      expect(c.livenessProbe.exec.command).toEqual(heartbeatProbeCommand());
      expect(c.livenessProbe.exec.command.join(" ")).not.toMatch(/ruby|bundle/);
      expect(c.lifecycle.preStop.exec.command.join(" ")).toMatch(/kill -TERM "\$pid"; while kill -0/);
      expect(c.env).toContainEqual({ name: HEARTBEAT_ENV, value: HEARTBEAT_FILE });
    }
    expect(all(stages["production"]!, "Service").map((s) => s.metadata.name)).toEqual(["shop-web"]);
  });

  it("worker without sidekiq.yml gets queues and concurrency as flags", () => {
    const m = shopModel();
    m.sidekiq!.file = null;
    const { stages } = emitAndBuild(m);
    const args = workerPod(stages["production"]!).containers[0].args;
    expect(args).toEqual(["bundle", "exec", "sidekiq", "-c", "20", "-q", "critical,2", "-q", "default,1"]);
  });

  it("the heartbeat probe is valid sh (shellcheck)", () => {
    const cmd = heartbeatProbeCommand();
    execFileSync("shellcheck", ["-s", "sh", "-"], { input: cmd[2]!, encoding: "utf8" });
  });

  it("grace rules hold for any timeout", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3600 }), (t) => webGracePeriod(t) >= t + PRESTOP_SLEEP_SECONDS + 3 && workerGracePeriod(t) >= t + 3),
    );
  });
});

describe("replicas", () => {
  it("HPA minimum counts the app servers one nginx sent requests to over TCP", () => {
    const src = { file: "config/deploy/alpha.rb", line: 1 };
    const server = (host: string, roles: string[]) => ({ host, user: "deploy", port: null, roles, primary: false, properties: {}, source: src });
    const stage = { name: "alpha", source: src, variables: {}, servers: [server("lb.example.com", ["web"]), server("app1.example.com", ["app"]), server("app2.example.com", ["app"])] };
    const upstream = (addresses: string[]) => ({
      files: [{ file: "config/nginx.conf", stage: null, directives: [], servers: [], upstreams: [{ name: "app", source: src, sticky: null, servers: addresses.map((a) => ({ value: { address: a, kind: "tcp" as const, options: [] }, source: src })) }] }],
    });
    expect(webServerCount(stage)).toBe(1);
    expect(webServerCount(stage, upstream(["app1.example.com:8080", "app2.example.com:8080"]) as never)).toBe(2);
    expect(webServerCount(stage, upstream(["127.0.0.1:8080", "127.0.0.1:8081"]) as never)).toBe(1);
  });

  it("HPA minimum = web servers per stage; max from the answer, never below min", () => {
    const { stages } = emitAndBuild(ledgerModel(), { "stage.production.max_replicas": 2 });
    // production has 3 `app` servers and no `web` role; demo 1 `web`; staging 1 `app`
    const hpa = (s: string) => find(stages[s]!, "HorizontalPodAutoscaler")["spec"];
    expect(hpa("production")).toMatchObject({ minReplicas: 3, maxReplicas: 3 });
    expect(hpa("demo")).toMatchObject({ minReplicas: 1, maxReplicas: 2 });
    expect(hpa("staging")).toMatchObject({ minReplicas: 1, maxReplicas: 2 });
    const shop = emitAndBuild(shopModel()).stages;
    expect(find(shop["production"]!, "HorizontalPodAutoscaler")["spec"]).toMatchObject({ minReplicas: 2, maxReplicas: 4 });
    // the Deployment leaves replicas to the HPA; rollouts never drop below capacity
    const web = find(shop["production"]!, "Deployment", "-web")["spec"];
    expect(web.replicas).toBeUndefined();
    expect(web.strategy.rollingUpdate.maxUnavailable).toBe(0);
    // A drain evicts one web pod at a time, and is never blocked (minAvailable 1 would block it on a one-pod stage).
    for (const s of ["production", "staging"]) {
      expect(find(shop[s]!, "PodDisruptionBudget", "-web")["spec"]).toMatchObject({ maxUnavailable: 1 });
      expect(find(shop[s]!, "PodDisruptionBudget", "-web")["spec"].minAvailable).toBeUndefined();
    }
  });

  it("worker replicas = worker-role servers × sidekiq_processes", () => {
    const m = shopModel();
    m.stages[0]!.servers.push({ ...m.stages[0]!.servers[2]!, host: "worker2.shop.example.com", primary: false });
    m.stages[0]!.variables["sidekiq_processes"] = { value: 2, source: { file: "config/deploy/production.rb", line: 30 } };
    const { stages } = emitAndBuild(m);
    expect(find(stages["production"]!, "Deployment", "-worker")["spec"].replicas).toBe(4);
    expect(find(stages["staging"]!, "Deployment", "-worker")["spec"].replicas).toBe(1);
  });
});

const hostsOf = (objs: any[], target: string): string[] => {
  const hosts = target === "gateway" ? all(objs, "HTTPRoute").flatMap((r) => r["spec"].hostnames) : all(objs, "Ingress").flatMap((i) => i["spec"].rules.map((r: any) => r.host));
  return [...new Set<string>(hosts)];
};

describe.each(["gateway", "alb", "ingress-nginx"])("edge target %s", (target) => {
  it("hosts per stage from nginx; a staging overlay never carries a production host", () => {
    const shop = emitAndBuild(shopModel(), { "edge.target": target }).stages;
    expect(new Set(hostsOf(shop["production"]!, target))).toEqual(new Set(["shop.example.com", "www.shop.example.com"]));
    expect(new Set(hostsOf(shop["staging"]!, target))).toEqual(new Set(["staging.shop.example.com"]));
    const ledger = emitAndBuild(ledgerModel(), { "edge.target": target }).stages;
    expect(new Set(hostsOf(ledger["production"]!, target))).toEqual(new Set(["ledger.example.com"]));
    for (const s of ["staging", "demo"]) {
      const hosts = hostsOf(ledger[s]!, target);
      expect(hosts).not.toContain("ledger.example.com");
      expect(hosts).toEqual([`set-me.${s}.ledger.invalid`]); // the gap's placeholder default: never resolves
    }
    const answered = emitAndBuild(ledgerModel(), { "edge.target": target, "stage.staging.hosts": "qa.ledger.test, qa2.ledger.test" }).stages;
    expect(hostsOf(answered["staging"]!, target).sort()).toEqual(["qa.ledger.test", "qa2.ledger.test"]);
  });

  it("gateway: a websocket location gets a rule of its own, without the request timeout", () => {
    const objs = emitAndBuild(shopModel(), { "edge.target": "gateway" }).stages["staging"]!;
    const rules = find(objs, "HTTPRoute", "-web")["spec"].rules as { matches: { path: { value: string } }[]; timeouts?: unknown; backendRefs: unknown[] }[];
    expect(rules[0]!.timeouts).toEqual({ request: "120s" });
    const cable = rules.find((r) => r.matches?.[0]?.path.value === "/cable");
    expect(cable).toBeDefined();
    expect(cable!.timeouts).toBeUndefined();
    expect(cable!.backendRefs).toEqual(rules[0]!.backendRefs);
  });

  it("body size, timeouts, TLS, redirect and stickiness in the target's terms, or a note with the nginx line", () => {
    const { result, stages } = emitAndBuild(ledgerModel(), { "edge.target": target });
    const objs = stages["production"]!;
    const noteAt = (re: RegExp, line: number) => {
      const n = result.notes.find((x) => re.test(x.message) && x.message.startsWith("stage production"));
      expect(n, String(re)).toBeTruthy();
      expect(n!.source).toEqual({ file: "config/nginx/ledger.conf", line });
    };
    if (target === "ingress-nginx") {
      const a = find(objs, "Ingress").metadata.annotations;
      expect(a).toMatchObject({
        "nginx.ingress.kubernetes.io/proxy-body-size": "50m",
        "nginx.ingress.kubernetes.io/proxy-read-timeout": "300",
        "nginx.ingress.kubernetes.io/proxy-send-timeout": "300",
        "nginx.ingress.kubernetes.io/proxy-connect-timeout": "10",
        "nginx.ingress.kubernetes.io/ssl-redirect": "true",
        "nginx.ingress.kubernetes.io/affinity": "cookie",
        "cert-manager.io/cluster-issuer": "letsencrypt",
      });
      expect(find(objs, "Ingress")["spec"].tls).toEqual([{ hosts: ["ledger.example.com"], secretName: "ledger-tls" }]);
      expect(result.notes.some((n) => /March 2026/.test(n.message))).toBe(true);
      expect(result.files.find((f) => f.path === "k8s/overlays/production/ingress.yaml")!.content).toMatch(/WARNING: ingress-nginx stopped receiving releases/);
    } else if (target === "alb") {
      const a = find(objs, "Ingress").metadata.annotations;
      expect(a["alb.ingress.kubernetes.io/load-balancer-attributes"]).toBe("idle_timeout.timeout_seconds=300");
      expect(a["alb.ingress.kubernetes.io/ssl-redirect"]).toBe("443");
      expect(JSON.parse(a["alb.ingress.kubernetes.io/listen-ports"])).toEqual([{ HTTP: 80 }, { HTTPS: 443 }]);
      expect(a["alb.ingress.kubernetes.io/target-group-attributes"]).toMatch(/stickiness\.enabled=true/);
      expect(a["alb.ingress.kubernetes.io/healthcheck-path"]).toBe("/up");
      expect(find(objs, "Ingress")["spec"].ingressClassName).toBe("alb");
      noteAt(/client_max_body_size 50m/, 26);
      noteAt(/proxy_connect_timeout 10s/, 29);
    } else {
      const route = find(objs, "HTTPRoute", "-web");
      expect(route["spec"].rules[0].timeouts).toEqual({ request: "300s" });
      expect(route["spec"].parentRefs).toEqual([{ name: "gateway", namespace: "gateway-system", sectionName: "https" }]);
      const redirect = find(objs, "HTTPRoute", "-https-redirect");
      expect(redirect["spec"].rules[0].filters[0]).toEqual({ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } });
      noteAt(/client_max_body_size 50m is not expressible/, 26);
      noteAt(/proxy_connect_timeout 10s is not expressible/, 29);
      noteAt(/ip_hash/, 2);
    }
    // what no target expresses: the rewrite and the regex server_name
    noteAt(/rewrite \^\/old/, 31);
    noteAt(/regular expression/, 21);
    // the config of the plain nginx file held on every stage: staging keeps the body limit too
    if (target === "ingress-nginx")
      expect(find(stages["staging"]!, "Ingress").metadata.annotations["nginx.ingress.kubernetes.io/proxy-body-size"]).toBe("50m");
  });
});

describe("cron", () => {
  it("one CronJob per schedule line, same expression, the time zone, Forbid, the command", () => {
    const { result, stages } = emitAndBuild(shopModel());
    const crons = all(stages["production"]!, "CronJob");
    const bySchedule = Object.fromEntries(crons.map((c) => [c.metadata.name, c["spec"]]));
    expect(Object.keys(bySchedule).sort()).toEqual(["shop-bin-rotate-exports-1", "shop-bin-rotate-exports-2", "shop-order-expire-stale", "shop-reports-daily", "shop-search-reindex"]);
    expect(bySchedule["shop-reports-daily"].schedule).toBe("0 3 * * *");
    expect(bySchedule["shop-order-expire-stale"].schedule).toBe("0,15,30,45 * * * *");
    expect(bySchedule["shop-bin-rotate-exports-1"].schedule).toBe("30 4 * * 1");
    expect(bySchedule["shop-bin-rotate-exports-2"].schedule).toBe("0 18 * * 1");
    for (const s of Object.values(bySchedule)) {
      expect(s.timeZone).toBe("America/New_York"); // TZ from default_env: the gap's default
      expect(s.concurrencyPolicy).toBe("Forbid");
    }
    const cmd = (n: string) => bySchedule[n].jobTemplate.spec.template.spec.containers[0].args;
    expect(cmd("shop-reports-daily")).toEqual(["/bin/sh", "-c", "bundle exec rake reports:daily --silent"]);
    expect(cmd("shop-order-expire-stale")).toEqual(["/bin/sh", "-c", `bundle exec bin/rails runner -e "$RAILS_ENV" 'Order.expire_stale!'`]);
    // no server has the `search` role: suspended, with a note
    expect(bySchedule["shop-search-reindex"].suspend).toBe(true);
    expect(bySchedule["shop-reports-daily"].suspend).toBeUndefined();
    // Every run is bounded: under Forbid a hung run would block all later ones.
    expect(bySchedule["shop-reports-daily"].jobTemplate.spec.activeDeadlineSeconds).toBe(86400);
    expect(bySchedule["shop-order-expire-stale"].jobTemplate.spec.activeDeadlineSeconds).toBe(900);
    expect(result.notes.some((n) => /@reboot bin\/warm-cache/.test(n.message) && n.source?.line === 17)).toBe(true);
    const tz = emitAndBuild(shopModel(), { "cron.time_zone": "Europe/Berlin" }).stages["staging"]!;
    expect(all(tz, "CronJob").every((c) => c["spec"].timeZone === "Europe/Berlin")).toBe(true);
  });
});

describe("cron commands that only the servers could run", () => {
  const withCommand = (command: string, missingFiles?: string[]) => {
    const m = shopModel();
    const job = m.cron!.jobs.find((j) => j.type === "command")!;
    job.command = command;
    if (missingFiles) job.missingFiles = missingFiles;
    return m;
  };
  for (const [why, model, reason] of [
    ["a script the repo does not hold", () => withCommand("/bin/bash -l -c 'script/backup.sh'", ["script/backup.sh"]), /script\/backup\.sh, which the repo does not hold/],
    ["a program installed on the servers", () => withCommand("/bin/bash -l -c '/usr/local/bin/s3-sync --all'"), /\/usr\/local\/bin\/s3-sync, a program installed on the servers/],
    ["a path of the deploy layout", () => withCommand("/bin/bash -l -c 'find /var/www/shop/shared/tmp -delete'"), /\/var\/www\/shop\/shared\/tmp/],
  ] as const)
    it(`is written suspended, with the reason: ${why}`, () => {
      const { result, stages } = emitAndBuild(model());
      const cron = all(stages["production"]!, "CronJob").filter((c) => c.metadata.name.startsWith("shop-bin-rotate") || c.metadata.name.startsWith("shop-usr") || c.metadata.name.startsWith("shop-find") || c.metadata.name.startsWith("shop-script"));
      expect(cron.length).toBeGreaterThan(0);
      for (const c of cron) expect(c["spec"].suspend, c.metadata.name).toBe(true);
      expect(result.notes.some((n) => /is written suspended/.test(n.message) && reason.test(n.message))).toBe(true);
    });

  it("the analysis names the files a command runs that the repo does not hold", () => {
    const paths = ["bin/rails", "bin/rotate-exports", "Gemfile"];
    expect(missingCommandFiles("/bin/bash -l -c '/u/apps/x/current/script/backup.sh >> /u/apps/x/shared/log/cron.log 2>&1'", paths)).toEqual(["script/backup.sh"]);
    expect(missingCommandFiles("/bin/bash -l -c 'cd /release/current/ && RAILS_ENV=production bundle exec bin/rails runner -e production X >> log 2>&1'", paths)).toEqual([]);
    expect(missingCommandFiles("/bin/bash -l -c 'bin/rotate-exports && sh tools/cleanup.sh'", paths)).toEqual(["tools/cleanup.sh"]);
    expect(missingCommandFiles("/bin/bash -l -c 'find /var/www -delete'", paths)).toEqual([]);
  });

  it("a command the image can run stays active", () => {
    const { stages } = emitAndBuild(withCommand("/bin/bash -l -c 'bin/rotate-exports'"));
    for (const c of all(stages["production"]!, "CronJob").filter((x) => x.metadata.name.startsWith("shop-bin-rotate"))) expect(c["spec"].suspend).toBeUndefined();
  });
});

describe("migration Job", () => {
  it("is named after the image tag and the hash of its inputs, labelled so it can be applied first with the config", () => {
    const { stages } = emitAndBuild(shopModel(), { "image.repository": "registry.internal:5000/team/shop", "image.tag": "9a8b7c6" });
    const objs = stages["production"]!;
    const job = find(objs, "Job");
    expect(job.metadata.name).toMatch(/^shop-migrate-9a8b7c6-[a-z0-9]{10}$/);
    expect(job["spec"].template.spec.containers[0].args).toEqual(["bundle", "exec", "rails", "db:migrate"]);
    expect(job["spec"].template.spec.containers[0].image).toBe("registry.internal:5000/team/shop:9a8b7c6");
    for (const kind of ["ConfigMap", "Secret"]) expect(find(objs, kind).metadata.labels["app.kubernetes.io/component"]).toBe("config");
    expect(job.metadata.labels["app.kubernetes.io/component"]).toBe("migration");
  });
});

describe("config and secrets", () => {
  it("no secret value in any ConfigMap or tracked file; secrets.env holds them, its example only keys", () => {
    const { result, stages } = emitAndBuild(shopModel(), { "container.nginx_sidecar": false });
    for (const f of result.files.filter((x) => !x.secret)) for (const v of SHOP_SECRET_VALUES) expect(f.content, f.path).not.toContain(v);
    for (const objs of Object.values(stages))
      for (const cm of all(objs, "ConfigMap")) for (const v of SHOP_SECRET_VALUES) expect(JSON.stringify(cm), cm.metadata.name).not.toContain(v);
    const secretFiles = result.files.filter((x) => x.secret);
    expect(secretFiles.map((f) => f.path).sort()).toEqual(["k8s/overlays/production/secrets.env", "k8s/overlays/staging/secrets.env"]);
    const prod = secretFiles.find((f) => f.path.includes("production"))!.content;
    expect(prod).toContain("PAYMENT_API_KEY=fake-prod-payment-key-123");
    // A secret Global value moves to the environment under the name the config_for file reads.
    expect(prod).toContain("AWS_SECRET_ACCESS_KEY=fake-prod-bucket-secret-789");
    const awsFile = result.files.find((f) => f.path === "config/custom/aws.yml");
    expect(awsFile).toBeUndefined(); // the Kustomize emitter alone writes only k8s/, the rails-config emitter the file
    expect(result.provenance.some((p) => p.output === "k8s/overlays/production/secrets.env" && p.what.startsWith("AWS_SECRET_ACCESS_KEY (aws.secret_access_key"))).toBe(true);
    expect(prod).toMatch(/^# SECRET_KEY_BASE=$/m);
    expect(prod).toMatch(/^# DATABASE_PASSWORD=$/m);
    const example = result.files.find((f) => f.path === "k8s/overlays/production/secrets.env.example")!.content;
    expect(example.split("\n").filter((l) => l && !l.startsWith("#")).every((l) => /^[A-Z0-9_]+=$/.test(l))).toBe(true);
    const secret = find(stages["production"]!, "Secret");
    expect(Buffer.from(secret["data"]["PAYMENT_API_KEY"], "base64").toString()).toBe("fake-prod-payment-key-123");
    // A key without a value is absent from the pod, never empty (an empty SECRET_KEY_BASE beats credentials).
    for (const s of all(stages["production"]!, "Secret")) expect(Object.keys(s["data"])).not.toContain("SECRET_KEY_BASE");
    const cm = find(stages["production"]!, "ConfigMap")["data"];
    expect(cm).toMatchObject({ RAILS_ENV: "production", RAILS_LOG_TO_STDOUT: "true", RAILS_SERVE_STATIC_FILES: "true", APP_HOSTS: "shop.example.com,www.shop.example.com" });
    expect(find(stages["staging"]!, "ConfigMap")["data"]).toMatchObject({ RAILS_ENV: "staging", APP_HOSTS: "staging.shop.example.com" });
    // Values that are the same for every stage of a Rails env stay in config/custom, not in the ConfigMap.
    expect(Object.values(cm)).not.toContain("shop-prod-assets");
    // with the nginx sidecar, nginx serves the assets
    const side = emitAndBuild(shopModel(), { "container.nginx_sidecar": true }).stages["production"]!;
    expect(find(side, "ConfigMap")["data"]["RAILS_SERVE_STATIC_FILES"]).toBeUndefined();
  });
});

describe("cron commands that name the servers' layout", () => {
  it("finds deploy paths, not container paths or URLs", () => {
    expect(serverLayoutPath("find /var/www/shop/shared/tmp/exports -type f -mtime +2 -delete")).toBe("/var/www/shop/shared/tmp/exports");
    expect(serverLayoutPath("cp x /home/deploy/backups/")).toBe("/home/deploy/backups/");
    expect(serverLayoutPath("tar czf /data/apps/shop/shared/public/system.tgz x")).toBe("/data/apps/shop/shared/public/system.tgz");
    expect(serverLayoutPath("bundle exec rake orders:nightly_report --silent")).toBeNull();
    expect(serverLayoutPath("curl -s https://example.com/shared/ping")).toBeNull();
    expect(serverLayoutPath("bin/rails runner 'X.run' > /tmp/x.log")).toBeNull();
  });

  it("the release the servers ran is the image's app dir", () => {
    const job = (command: string) => ({ schedules: ["30 23 * * 6"], type: "command", task: "x", command, roles: [], source: { file: "config/schedule.rb", line: 16 } });
    expect(cronCommand(job("/bin/bash -l -c '/u/apps/legacy/current/script/backup_uploads.sh >> /u/apps/legacy/shared/log/cron.log 2>&1'"))).toBe("/rails/script/backup_uploads.sh");
    expect(cronCommand(job("/bin/bash -l -c 'cd /var/www/shop/releases/20240101120000 && bundle exec rake a:b --silent'"))).toBe("bundle exec rake a:b --silent");
    expect(cronCommand(job("ruby /var/www/shop/releases/20240101120000/bin/x /var/www/shop/shared/tmp/y"))).toBe("ruby /rails/bin/x /var/www/shop/shared/tmp/y");
  });
});

describe("migration Job when", () => {
  it("database.yml is known, or only the servers had it", () => {
    const m = shopModel();
    expect(needsMigration(m)).toBe(true);
    const noDb = { ...m, rails: { ...m.rails, database: null }, linked: [] };
    expect(needsMigration(noDb)).toBe(false);
    expect(needsMigration({ ...noDb, linked: [{ path: "config/database.yml", kind: "file" as const, class: "config" as const, stages: ["production"], source: { file: "config/deploy.rb", line: 3 } }] })).toBe(true);
  });
});

describe("Capistrano default_env", () => {
  it("Symbol keys upcased as SSHKit does; the server's PATH, rbenv and gem paths left behind", () => {
    const src = { file: "config/deploy.rb", line: 20 };
    const value = { TZ: "Asia/Tokyo", path: "$HOME/.rbenv/shims:$PATH", node_options: "--max-old-space-size=1024", RBENV_VERSION: "3.1.4", GEM_HOME: "/home/deploy/.gem", MALLOC_ARENA_MAX: "2" };
    const stage = { name: "production", source: src, servers: [], variables: { default_env: { value, source: src } } };
    expect(defaultEnv(stage).map((e) => [e.name, e.value])).toEqual([["TZ", "Asia/Tokyo"], ["NODE_OPTIONS", "--max-old-space-size=1024"], ["MALLOC_ARENA_MAX", "2"]]);
  });
});

describe("nginx units", () => {
  it("reads nginx times and sizes", () => {
    expect(["90", "90s", "2m", "1m30s", "1h", "x"].map(nginxTimeToSeconds)).toEqual([90, 90, 120, 90, 3600, null]);
    expect(["0", "512k", "20m", "1g", "20M", "lots"].map(nginxSizeToBytes)).toEqual([0, 524288, 20971520, 1073741824, 20971520, null]);
  });
});
