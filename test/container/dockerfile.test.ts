// The Dockerfile (and the sidecar's): parsed by dockerfile-ast, linted by dockerfile-utils, and
// checked for the rules of PRACTICES.md "Rails images" on hand-built models of the three app shapes.
import { describe, expect, test } from "vitest";
import type { Answers, AppModel } from "../../src/model.js";
import { emitContainer } from "../../emitters/container/index.js";
import { APP_DIR, APP_UID, ENTRYPOINT, NGINX_SIDECAR_DOCKERFILE, PUMA_CONTAINER_CONFIG, UNICORN_CONTAINER_CONFIG } from "../../emitters/contract.js";
import { fact, ledgerModel, legacyModel, shopModel } from "./models.js";
import { lintDockerfile } from "./dockerfile-lint.js";
import { secretLeak } from "../../src/redact.js";

const file = (m: AppModel, a: Answers, path: string) => {
  const f = emitContainer(m, a).files.find((x) => x.path === path);
  if (!f) throw new Error(`${path} not emitted`);
  return f.content;
};
const envOf = (content: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(content)?.[1];

const CASES: [string, () => AppModel, Answers][] = [
  ["shop", shopModel, {}],
  ["legacy", legacyModel, {}],
  ["ledger", ledgerModel, {}],
  ["ledger alpine, gems over https", ledgerModel, { "container.base": "alpine", "container.private_gems_ssh": false }],
  ["shop without sidecar", shopModel, { "container.nginx_sidecar": false }],
];

describe("Dockerfile parses and lints clean", () => {
  test("the linter does flag a broken Dockerfile (so a clean result means something)", () => {
    expect(lintDockerfile("FROM\nEXPOSE abc\nCMD [\"a\"\n").problems.length).toBeGreaterThan(0);
  });
  for (const [name, model, answers] of CASES)
    test(name, () => {
      const files = emitContainer(model(), answers).files.filter((f) => f.path === "Dockerfile" || f.path === NGINX_SIDECAR_DOCKERFILE);
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const p = lintDockerfile(f.content);
        expect(p.problems, `${f.path}: ${JSON.stringify(p.problems)}`).toEqual([]);
        expect(f.content.startsWith("# syntax=docker/dockerfile:1\n")).toBe(true);
        expect(p.stages.length).toBeGreaterThanOrEqual(2);
      }
    });
});

describe("Dockerfile follows the app", () => {
  test("stages base → build → final, Ruby from the model, slim by default and alpine on request", () => {
    for (const [m, base] of [[shopModel(), "slim"], [legacyModel(), "slim"]] as const) {
      const p = lintDockerfile(file(m, {}, "Dockerfile"));
      const names = p.stages.map((s) => s.name);
      expect(names.slice(-3)).toEqual(["base", "build", null]);
      expect(p.stages.find((s) => s.name === "base")!.image).toBe(`ruby:\${RUBY_VERSION}-${base}`);
    }
    expect(file(shopModel(), {}, "Dockerfile")).toContain("ARG RUBY_VERSION=3.1.4\n");
    expect(file(legacyModel(), {}, "Dockerfile")).toContain("ARG RUBY_VERSION=2.3.8\n"); // `ruby-` prefix dropped
    expect(file(ledgerModel(), { "container.base": "alpine" }, "Dockerfile")).toContain("FROM ruby:${RUBY_VERSION}-alpine AS base");
  });

  test("Bundler pinned to BUNDLED WITH, deployment mode, WORKDIR from the contract", () => {
    for (const [m, v] of [[shopModel(), "2.4.22"], [legacyModel(), "1.17.3"], [ledgerModel(), "2.5.11"]] as const) {
      const d = file(m, {}, "Dockerfile");
      expect(d).toContain(`gem install bundler -v ${v} --no-document`);
      expect(envOf(d, "BUNDLE_DEPLOYMENT")).toBe("1");
      expect(envOf(d, "RAILS_ENV")).toBe("production");
      expect(d).toContain(`WORKDIR ${APP_DIR}\n`);
    }
  });

  test("deploy-only groups and development/test are left out; a group of the app's Rails env is not", () => {
    expect(envOf(file(shopModel(), {}, "Dockerfile"), "BUNDLE_WITHOUT")!.split(":").sort()).toEqual(["deploy", "development", "test"]);
    expect(envOf(file(legacyModel(), {}, "Dockerfile"), "BUNDLE_WITHOUT")!.split(":").sort()).toEqual(["development", "test"]);
    const m = shopModel();
    m.rails.gemGroups["capistrano"] = ["staging"]; // a group named after a deployed Rails env stays in
    const r = emitContainer(m, {});
    expect(envOf(r.files[0]!.content, "BUNDLE_WITHOUT")!.split(":")).not.toContain("staging");
    expect(r.notes.some((n) => n.message.startsWith("capistrano (a deploy tool) is in group staging"))).toBe(true);
  });

  test("packages per gem: build stage gets headers, final stage the libraries", () => {
    const stageText = (d: string, from: string, to: string | null) => d.slice(d.indexOf(from), to ? d.indexOf(to) : undefined);
    const shop = file(shopModel(), {}, "Dockerfile");
    const base = stageText(shop, "AS base", "AS build");
    const build = stageText(shop, "AS build", "\nFROM base\n");
    expect(base).toMatch(/install --no-install-recommends -y .*default-mysql-client/);
    expect(base).toMatch(/imagemagick/); // mini_magick
    expect(base).not.toMatch(/-dev\b/);
    expect(build).toMatch(/default-libmysqlclient-dev/);
    expect(build).toMatch(/libffi-dev/);
    expect(build).not.toMatch(/libxml2-dev/); // nokogiri 1.15 is precompiled
    const legacy = file(legacyModel(), {}, "Dockerfile");
    expect(legacy).toMatch(/libxml2-dev libxslt1-dev/); // nokogiri 1.10 compiles
    expect(legacy).toContain('BUNDLE_BUILD__NOKOGIRI="--use-system-libraries"');
    expect(legacy).toMatch(/imagemagick file/); // paperclip
    const ledger = file(ledgerModel(), {}, "Dockerfile");
    expect(ledger).toMatch(/libpq-dev/);
    expect(stageText(ledger, "AS base", "AS build")).toMatch(/postgresql-client.*libvips|libvips.*postgresql-client/);
    const alpine = file(ledgerModel(), { "container.base": "alpine" }, "Dockerfile");
    expect(alpine).toMatch(/apk add --no-cache .*postgresql-dev/);
    expect(alpine).toMatch(/apk add --no-cache jemalloc tzdata .*vips/);
    expect(alpine).not.toContain("apt-get");
  });

  test("jemalloc through an architecture-independent path", () => {
    const d = file(shopModel(), {}, "Dockerfile");
    expect(d).toContain('"/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" /usr/local/lib/libjemalloc.so');
    expect(d).not.toContain("x86_64-linux-gnu");
  });

  test("non-root user, only runtime dirs writable, entrypoint and command from the contract", () => {
    for (const m of [shopModel(), legacyModel(), ledgerModel()]) {
      const p = lintDockerfile(file(m, {}, "Dockerfile"));
      const last = p.instructions.slice(p.instructions.findIndex((i, k) => i.keyword === "FROM" && k === p.instructions.map((x) => x.keyword).lastIndexOf("FROM")));
      const user = last.filter((i) => i.keyword === "USER");
      expect(user.map((u) => u.args)).toEqual([`${APP_UID}:${APP_UID}`]);
      const chown = last.find((i) => i.keyword === "RUN" && i.args.includes("chown"))!.args;
      expect(chown).toMatch(/chown -R 1000:1000 tmp log .*\/var\/run\/app/);
      expect(chown).not.toMatch(/chown -R \S+ (\/rails|\.)(\s|$)/);
      expect(last.find((i) => i.keyword === "ENTRYPOINT")!.args).toBe(`["${APP_DIR}/${ENTRYPOINT}"]`);
    }
    const shop = lintDockerfile(file(shopModel(), {}, "Dockerfile")).instructions;
    expect(shop.find((i) => i.keyword === "CMD")!.args).toContain(UNICORN_CONTAINER_CONFIG);
    expect(shop.find((i) => i.keyword === "STOPSIGNAL")!.args).toBe("SIGQUIT");
    const ledger = lintDockerfile(file(ledgerModel(), {}, "Dockerfile")).instructions;
    expect(ledger.find((i) => i.keyword === "CMD")!.args).toContain(PUMA_CONTAINER_CONFIG);
    expect(ledger.some((i) => i.keyword === "STOPSIGNAL")).toBe(false); // Puma drains on TERM
  });

  test("lockfiles before code, cache mounts, gem caches and git history removed", () => {
    const d = file(ledgerModel(), {}, "Dockerfile");
    const i = (s: string) => d.indexOf(s);
    expect(i("COPY Gemfile Gemfile.lock ./")).toBeLessThan(i("COPY . ."));
    expect(i("COPY package.json yarn.lock ./")).toBeLessThan(i("COPY . ."));
    expect(i("COPY vendor/engines/ledger_reports vendor/engines/ledger_reports")).toBeLessThan(i("bundle install")); // path gem
    expect(d).toMatch(/RUN --mount=type=cache,id=ledger-gems,target=\/root\/.bundle\/cache/);
    expect(d).toMatch(/RUN --mount=type=cache,id=ledger-yarn,target=\/usr\/local\/share\/.cache\/yarn/);
    expect(d).toContain('rm -rf "${BUNDLE_PATH}"/ruby/*/cache "${BUNDLE_PATH}"/ruby/*/bundler/gems/*/.git');
    expect(d).toContain("yarn install --frozen-lockfile");
    expect(d).toContain("rm -rf node_modules");
  });

  test("only lockfiles the repo has are copied: npm without package-lock.json installs from package.json", () => {
    const withPm = (value: string, file: string) => {
      const m = ledgerModel();
      m.rails.assets.packageManager = { value: value as never, source: { file, line: 1 } };
      return m;
    };
    for (const pm of ["npm", "yarn", "pnpm"]) {
      const d = file(withPm(pm, "package.json"), {}, "Dockerfile");
      expect(d).toContain("COPY package.json ./");
      expect(d).not.toMatch(/package-lock\.json|yarn\.lock|pnpm-lock|--frozen-lockfile|npm ci/);
      expect(lintDockerfile(d).problems).toEqual([]);
      const notes = emitContainer(withPm(pm, "package.json"), {}).notes.map((n) => n.message).join("\n");
      expect(notes).toMatch(/no JS lockfile in the repo/);
    }
    expect(file(withPm("npm", "package.json"), {}, "Dockerfile")).toContain("npm install");
    const locked = file(withPm("npm", "package-lock.json"), {}, "Dockerfile");
    expect(locked).toContain("COPY package.json package-lock.json ./");
    expect(locked).toContain("npm ci");
    expect(file(withPm("bun", "bun.lockb"), {}, "Dockerfile")).toContain("COPY package.json bun.lockb ./");
  });

  test("Node only when the assets need it; ExecJS at boot keeps node in the final image", () => {
    expect(file(legacyModel(), {}, "Dockerfile")).not.toMatch(/node/i); // therubyracer embeds V8
    const shop = file(shopModel(), {}, "Dockerfile");
    expect(shop).toContain("FROM node:${NODE_VERSION}-slim AS node");
    expect(shop.slice(shop.lastIndexOf("\nFROM base\n"))).toContain("COPY --from=node /usr/local/bin/node");
    expect(shop).not.toMatch(/yarn|npm ci/);
    const ledger = file(ledgerModel(), {}, "Dockerfile");
    expect(ledger.slice(ledger.lastIndexOf("\nFROM base\n"))).not.toContain("node"); // jsbundling: build only
    expect(file(ledgerModel(), { "container.node_version": "20" }, "Dockerfile")).toContain("ARG NODE_VERSION=20");
  });

  test("bootsnap precompile -j 1 when bootsnap is locked", () => {
    expect(file(shopModel(), {}, "Dockerfile")).toContain("bundle exec bootsnap precompile -j 1 --gemfile");
    expect(file(shopModel(), {}, "Dockerfile")).toContain("bundle exec bootsnap precompile -j 1 app/ lib/");
    expect(file(legacyModel(), {}, "Dockerfile")).not.toContain("bootsnap");
  });

  test("assets:precompile with the placeholder secret the Rails version takes", () => {
    const ledger = file(ledgerModel(), {}, "Dockerfile");
    expect(ledger).toContain("SECRET_KEY_BASE_DUMMY=1 bundle exec rails assets:precompile");
    expect(ledger).not.toContain("DATABASE_URL="); // database.yml is in the repo
    const shop = file(shopModel(), {}, "Dockerfile");
    expect(shop).toMatch(/SECRET_KEY_BASE=\S+ DATABASE_URL=mysql2:\/\/\S+ bundle exec rails assets:precompile/);
    expect(file(legacyModel(), {}, "Dockerfile")).toMatch(/SECRET_KEY_BASE=\S+ .*bundle exec rake assets:precompile/); // Rails 4.2
  });

  // The placeholder URL is the tool's own text in a committed file: the leak check that guards
  // every committed file must pass it for each adapter, or migrate refuses its own Dockerfile.
  test.each(["sqlite3", "mysql2", "postgresql", "postgis", "trilogy"])("the %s placeholder DATABASE_URL passes the committed-file secret check", (adapter) => {
    const m = shopModel();
    m.rails.database = { adapters: { production: fact(adapter, "config/database.yml.example", 3) }, file: "config/database.yml.example" };
    const docker = file(m, {}, "Dockerfile");
    expect(docker).toMatch(new RegExp(`DATABASE_URL=${adapter}:\\S+ bundle exec rails assets:precompile`));
    expect(secretLeak([{ path: "Dockerfile", content: docker }], m, [])).toBeNull();
  });

  test("a note when settings read ENV without a default at boot", () => {
    const m = shopModel();
    m.global = {
      dir: "config/global", gemVersion: "2.1.0", templates: [],
      namespaces: [{ name: "payment", files: ["config/global/payment.yml"], values: { production: { key: { env: "PAYMENT_KEY", default: null }, url: { env: "PAYMENT_URL", default: "https://x" } } }, sources: {} }],
    };
    const notes = emitContainer(m, {}).notes.map((n) => n.message);
    expect(notes.some((n) => n.includes("ENV PAYMENT_KEY") && n.includes("assets:precompile"))).toBe(true);
    expect(notes.some((n) => n.includes("ENV PAYMENT_URL"))).toBe(false);
  });

  test("private gems over SSH or build secrets, never copied into a layer", () => {
    const ssh = file(ledgerModel(), {}, "Dockerfile");
    expect(ssh).toMatch(/RUN --mount=type=cache,\S+ --mount=type=ssh --mount=type=secret,id=BUNDLE_GEMS__EXAMPLE___CORP__COM,env=BUNDLE_GEMS__EXAMPLE___CORP__COM/);
    expect(ssh).toContain("ssh-keyscan github.com >> ~/.ssh/known_hosts");
    expect(ssh).toContain("# Build: docker build --ssh default --secret id=BUNDLE_GEMS__EXAMPLE___CORP__COM");
    const token = file(ledgerModel(), { "container.private_gems_ssh": false }, "Dockerfile");
    expect(token).not.toContain("--mount=type=ssh");
    expect(token).toContain("--mount=type=secret,id=BUNDLE_GITHUB__COM,env=BUNDLE_GITHUB__COM");
    expect(token).toContain("git config --global url.https://github.com/.insteadOf git@github.com:");
    for (const d of [ssh, token]) {
      expect(d).not.toMatch(/COPY [^\n]*(\.ssh|id_rsa|id_ed25519|\.key|credentials)/);
      expect(d).not.toMatch(/ARG [^\n]*(TOKEN|PASSWORD|SECRET)/);
    }
  });

  test("provenance for the values taken from the model", () => {
    const r = emitContainer(shopModel(), {});
    const p = r.provenance.filter((x) => x.output === "Dockerfile").map((x) => `${x.what} @ ${x.source.file}:${x.source.line}`);
    expect(p).toContain("Ruby 3.1.4 → ARG RUBY_VERSION (ruby:3.1.4-slim) @ .ruby-version:1");
    expect(p).toContain("BUNDLED WITH 2.4.22 → gem install bundler -v 2.4.22 @ Gemfile.lock:300");
    expect(p.some((x) => x.startsWith("mysql2 links libmysqlclient"))).toBe(true);
  });
});
