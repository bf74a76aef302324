// The Capistrano 3 idioms real deploy configs use, each checked on a small config with the value
// real Capistrano 3.17 gives (the same rules the oracle test checks on the fixture apps).
import { describe, it, expect } from "vitest";
import { analyze, CAPFILE3 } from "./analyze.js";
import { classifyLinked } from "../../analyzers/capistrano/linked.js";

const app = (deploy: string, stages: Record<string, string>, extra: Record<string, string> = {}) => ({
  Capfile: CAPFILE3,
  "config/deploy.rb": deploy,
  ...Object.fromEntries(Object.entries(stages).map(([k, v]) => [`config/deploy/${k}.rb`, v])),
  ...extra,
});

describe("variables", () => {
  it("core defaults, stage Symbol, later set wins, set_if_empty keeps the first", async () => {
    const r = await analyze(app(`set :application, "x"\nset :keep_releases, 3\nset_if_empty :keep_releases, 9\nset_if_empty :tmp_dir, "/var/tmp"`, { production: `set :keep_releases, 4` }));
    expect(r.v("production", "stage")).toEqual({ sym: "production" });
    expect(r.v("production", "keep_releases")).toBe(4);
    expect(r.stage("production").variables["keep_releases"].source).toEqual({ file: "config/deploy/production.rb", line: 1 });
    expect(r.v("production", "tmp_dir")).toBe("/tmp");
    expect(r.v("production", "deploy_to")).toBe("/var/www/x");
    expect(r.v("production", "branch")).toBe("master");
    expect(r.v("production", "format")).toEqual({ sym: "airbrussh" });
    expect(r.v("production", "scm")).toBeUndefined(); // deleted once the git plugin is installed
  });

  it("a lambda sees the stage's value; an eager fetch fixes a lambda for good", async () => {
    const r = await analyze(
      app(`set :application, "x"\nset :url, -> { "https://#{fetch(:host)}/up" }\nset :deploy_to, -> { "/srv/#{fetch(:application)}" }\nset :conf, "#{shared_path}/config"`, {
        production: `set :host, "p.example.com"\nset :application, "renamed"`,
      }),
    );
    expect(r.v("production", "url")).toBe("https://p.example.com/up");
    expect(r.v("production", "deploy_to")).toBe("/srv/x");
    expect(r.v("production", "conf")).toBe("/srv/x/shared/config");
  });

  it("lambda forms: ->, lambda, proc, Proc.new, set with a block; a lambda with parameters is not called", async () => {
    const r = await analyze(app(`set :a, lambda { 1 }\nset :b, proc { "b" }\nset :c, Proc.new { :c }\nset(:d) { fetch(:a) + 1 }\nset :e, ->(x) { x }`, { p: "" }));
    expect([r.v("p", "a"), r.v("p", "b"), r.v("p", "c"), r.v("p", "d")]).toEqual([1, "b", { sym: "c" }, 2]);
    expect(r.v("p", "e")).toMatchObject({ unknown: expect.stringContaining("parameters") });
  });

  it("linked paths: append, remove, push, +, <<, concat, fetch with defaults", async () => {
    const r = await analyze(
      app(
        `set :linked_files, %w[config/database.yml .env]\nappend :linked_files, "config/master.key"\nremove :linked_files, ".env"\nset :linked_dirs, fetch(:linked_dirs, []).push("log")\nset :linked_dirs, fetch(:linked_dirs) + %w{tmp/pids}\nfetch(:linked_dirs) << "public/system"\nfetch(:linked_dirs).concat(%w[storage])\nappend :nothing_yet, :a, :b`,
        { p: `append :linked_dirs, "public/uploads"` },
      ),
    );
    expect(r.v("p", "linked_files")).toEqual(["config/database.yml", "config/master.key"]);
    expect(r.v("p", "linked_dirs")).toEqual(["log", "tmp/pids", "public/system", "storage", "public/uploads"]);
    expect(r.v("p", "nothing_yet")).toEqual([{ sym: "a" }, { sym: "b" }]);
    const uploads = r.linked.find((l) => l.path === "public/uploads")!;
    expect(uploads).toMatchObject({ kind: "dir", class: "data", stages: ["p"], source: { file: "config/deploy/p.rb", line: 1 } });
    expect(r.linked.find((l) => l.path === "public/system")!.source).toEqual({ file: "config/deploy.rb", line: 6 });
    expect(r.linked.find((l) => l.path === "config/master.key")).toMatchObject({ kind: "file", class: "secret", source: { line: 2 } });
  });

  it("fetch defaults: a plain default is not stored, a callable one is; a block default is not", async () => {
    const r = await analyze(app(`set :a, fetch(:x, 1)\nset :b, fetch(:y, -> { 2 })\nset :c, fetch(:z) { 3 }`, { p: "" }));
    expect([r.v("p", "a"), r.v("p", "b"), r.v("p", "c")]).toEqual([1, 2, 3]);
    expect(r.v("p", "x")).toBeUndefined();
    expect(r.v("p", "y")).toBe(2);
    expect(r.v("p", "z")).toBeUndefined();
  });

  it("hashes: multi-line ssh_options, default_env mutations, merge", async () => {
    const r = await analyze(
      app(`set :ssh_options, {\n  forward_agent: true,\n  keys: %w(~/.ssh/id),\n  port: 2222,\n}\nset :default_env, { "TZ" => "UTC" }\nfetch(:default_env)[:PATH] = "/opt/bin:$PATH"\nfetch(:default_env).merge!("LANG" => "C")`, {
        p: `set :default_env, fetch(:default_env).merge(STAGE: "p")`,
      }),
    );
    expect(r.v("p", "ssh_options")).toEqual({ forward_agent: true, keys: ["~/.ssh/id"], port: 2222 });
    expect(r.v("p", "default_env")).toEqual({ TZ: "UTC", PATH: "/opt/bin:$PATH", LANG: "C", STAGE: "p" });
  });

  it("ENV references keep their names and defaults; File.read goes through the repo", async () => {
    const r = await analyze(
      app(`set :branch, ENV.fetch("BRANCH", "main")\nset :tag, ENV["TAG"] || "latest"\nset :ruby, File.read(".ruby-version").strip\nset :missing, File.read(".nope")\nset :port, Integer(ENV.fetch("PORT", "3000"))\nset :url, "https://#{ENV['HOST']}/"`, { p: "" }, { ".ruby-version": "3.2.2\n" }),
    );
    expect(r.v("p", "branch")).toEqual({ env: "BRANCH", default: "main" });
    expect(r.v("p", "tag")).toEqual({ env: "TAG", default: "latest" });
    expect(r.v("p", "ruby")).toBe("3.2.2");
    expect(r.v("p", "missing")).toMatchObject({ unknown: expect.stringContaining(".nope"), source: { file: "config/deploy.rb", line: 4 } });
    expect(r.v("p", "port")).toEqual({ env: "PORT", default: 3000 });
    expect(r.v("p", "url")).toEqual({ interp: ["https://", { env: "HOST", default: null }, "/"] });
  });

  it("Integer() reads a radix prefix and raises on junk, unlike to_i", async () => {
    const r = await analyze(app(`set :octal, Integer("010")\nset :hex, Integer("0x1A")\nset :under, Integer("1_000")\nset :lenient, "010".to_i\nset :junk, Integer("08")\nset :port, Integer(ENV.fetch("PORT", "010"))`, { p: "" }));
    expect([r.v("p", "octal"), r.v("p", "hex"), r.v("p", "under"), r.v("p", "lenient")]).toEqual([8, 26, 1000, 10]);
    expect(r.v("p", "junk")).toMatchObject({ unknown: expect.stringContaining("raises") });
    expect(r.v("p", "port")).toEqual({ env: "PORT", default: 8 });
  });

  it("ask: the default is the value (no terminal), and the question is recorded", async () => {
    const r = await analyze(app(`ask :confirm, "no"\nask :branch, \`git rev-parse HEAD\`.chomp\nask :password, nil, echo: false`, { p: "" }));
    expect(r.v("p", "confirm")).toBe("no");
    expect(r.v("p", "branch")).toMatchObject({ unknown: expect.stringContaining("backticks"), source: { line: 2 } });
    expect(r.v("p", "password")).toBeNull();
    expect(r.stage("p").asked!.map((a) => [a.name, a.default, a.source.line])).toEqual([
      ["confirm", "no", 1],
      ["branch", expect.objectContaining({ unknown: expect.any(String) }), 2],
      ["password", null, 3],
    ]);
  });

  it("backticks and unknown calls are Unknowns with their source; unknown statements are warnings", async () => {
    const r = await analyze(app(`set :rev, \`git rev-parse HEAD\`.strip\nset :t, Time.now.to_i\nSomeGem.configure!\n`, { p: "" }));
    expect(r.v("p", "rev")).toMatchObject({ unknown: expect.any(String), source: { file: "config/deploy.rb", line: 1 } });
    expect(r.v("p", "t")).toMatchObject({ unknown: expect.any(String), source: { line: 2 } });
    expect(r.problems).toContainEqual(expect.objectContaining({ file: "config/deploy.rb", line: 3, severity: "warning" }));
  });

  it("lock is recorded and has no effect", async () => {
    const r = await analyze(app(`lock "~> 3.11.0"`, { p: "" }));
    expect(r.capistrano!.lock).toEqual({ value: "~> 3.11.0", source: { file: "config/deploy.rb", line: 1 } });
  });

  it("SCM: without install_plugin Capistrano picks git itself and sets its defaults after the stage", async () => {
    const r = await analyze({ Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\n`, "config/deploy.rb": `set :application, "x"\nset :git_shallow_clone, 1`, "config/deploy/p.rb": "" });
    expect(r.v("p", "scm")).toEqual({ sym: "git" });
    expect(r.v("p", "git_shallow_clone")).toBe(1);
    expect(r.v("p", "git_max_concurrent_connections")).toBe(10);
  });

  it("capistrano-rails: rails_env from the stage (a Symbol) unless set; public/assets linked", async () => {
    const files = { Capfile: CAPFILE3 + `require "capistrano/rails"\n`, "config/deploy.rb": `set :application, "x"`, "config/deploy/staging.rb": "", "config/deploy/demo.rb": `set :rails_env, "production"` };
    const r = await analyze(files);
    expect(r.v("staging", "rails_env")).toEqual({ sym: "staging" });
    expect(r.v("demo", "rails_env")).toBe("production");
    expect(r.stage("demo").variables["rails_env"].source).toEqual({ file: "config/deploy/demo.rb", line: 1 });
    expect(r.v("demo", "linked_dirs")).toEqual(["public/assets"]);
    expect(r.v("demo", "migration_role")).toEqual({ sym: "db" });
    const stubbed = await analyze(files, { stubbed: ["capistrano/rails"] });
    expect(stubbed.v("staging", "rails_env")).toBeUndefined();
  });
});

describe("servers and roles", () => {
  it("merges per host and port, user@host, roles in first-seen order, properties merged", async () => {
    const r = await analyze(
      app(`set :application, "x"`, {
        p: [
          `server "web1", user: "deploy", roles: %w[web app], tags: [1]`,
          `role :db, %w[deploy@web1 db1], primary: true, tags: [2]`,
          `role :web, "admin@db1"`,
          `server "web1:2222", roles: %i[worker], no_release: true`,
          `server "web1", ssh_options: { forward_agent: true }`,
        ].join("\n"),
      }),
    );
    expect(r.stage("p").servers.map(({ source, ...s }) => s)).toEqual([
      { host: "web1", user: "deploy", port: null, roles: ["web", "app", "db"], primary: true, properties: { tags: [1, 2], ssh_options: { forward_agent: true } } },
      { host: "db1", user: "admin", port: null, roles: ["db", "web"], primary: true, properties: { tags: [2] } },
      { host: "web1", user: null, port: 2222, roles: ["worker"], primary: false, properties: { no_release: true } },
    ]);
  });

  it("servers inside each over a literal list; an unknown list is reported, not guessed", async () => {
    const r = await analyze(app("", { p: `%w[a b].each { |h| server "#{h}.example.com", roles: %w[web] }\nfetch(:hosts_from_api).each { |h| server h }\n{ "c" => :db }.each do |h, role|\n  server h, roles: [role]\nend` }));
    expect(r.stage("p").servers.map((s) => [s.host, s.roles])).toEqual([
      ["a.example.com", ["web"]],
      ["b.example.com", ["web"]],
      ["c", ["db"]],
    ]);
    expect(r.problems).toContainEqual(expect.objectContaining({ file: "config/deploy/p.rb", line: 2, severity: "warning" }));
  });
});

describe("files, tasks and hooks", () => {
  it("imports lib/capistrano/tasks/*.rake, runs their load:defaults, records tasks, hooks, templates and uploads", async () => {
    const r = await analyze({
      Capfile: CAPFILE3 + `Dir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n`,
      "config/deploy.rb": `set :application, "x"\nafter "deploy:published", "nginx:config"`,
      "config/deploy/p.rb": "",
      "lib/capistrano/tasks/a.rake": `namespace :load do\n  task :defaults do\n    set :team, "ops"\n  end\nend\nnamespace :deploy do\n  namespace :cfg do\n    desc "upload"\n    task :upload do\n      Dir.glob("config/deploy/templates/global/*.yml.erb").each do |t|\n        upload! StringIO.new(ERB.new(File.read(t)).result(binding)), "#{shared_path}/config/global/#{File.basename(t, ".erb")}"\n      end\n    end\n  end\nend\nbefore "deploy:check:linked_files", "deploy:cfg:upload"`,
      "lib/capistrano/tasks/nginx.rake": `namespace :nginx do\n  task :config do\n    path = "/etc/nginx/sites-enabled/#{fetch(:application)}"\n    upload! StringIO.new(ERB.new(File.read(File.join("config", "deploy", "templates", "nginx.conf.erb"))).result(binding)), path\n  end\nend`,
      "config/deploy/templates/global/aws.yml.erb": "",
      "config/deploy/templates/global/mail.yml.erb": "",
      "config/deploy/templates/nginx.conf.erb": "",
    });
    expect(r.v("p", "team")).toBe("ops");
    const upload = r.capistrano!.tasks.find((t) => t.name === "deploy:cfg:upload")!;
    expect(upload).toMatchObject({ source: { file: "lib/capistrano/tasks/a.rake", line: 9 }, templates: ["config/deploy/templates/global/aws.yml.erb", "config/deploy/templates/global/mail.yml.erb"], uploads: ['#{shared_path}/config/global/#{File.basename(t, ".erb")}'] });
    const nginx = r.capistrano!.tasks.find((t) => t.name === "nginx:config")!;
    expect(nginx.templates).toEqual(["config/deploy/templates/nginx.conf.erb"]);
    expect(nginx.uploads).toEqual(["/etc/nginx/sites-enabled/#{fetch(:application)}"]);
    expect(r.capistrano!.hooks).toEqual([
      { kind: "before", target: "deploy:check:linked_files", task: "deploy:cfg:upload", source: { file: "lib/capistrano/tasks/a.rake", line: 16 } },
      { kind: "after", target: "deploy:published", task: "nginx:config", source: { file: "config/deploy.rb", line: 2 } },
    ]);
    expect(r.capistrano!.requires.map((q) => q.value)).toEqual(["capistrano/setup", "capistrano/deploy", "capistrano/scm/git"]);
  });

  it("follows require and require_relative of files under lib/: helper methods and constants", async () => {
    const r = await analyze(
      app(`require_relative "../lib/capistrano/naming"\nrequire "capistrano/settings"\nset :application, APP`, { p: `server host_for("web1"), roles: %w[web]\nset :x, host_for("a", "b")` }, {
        "lib/capistrano/naming.rb": `APP = "shop"\ndef host_for(name, zone = "example.com")\n  "#{name}.#{zone}"\nend`,
        "lib/capistrano/settings.rb": `set :from_lib, true`,
      }),
    );
    expect(r.v("p", "application")).toBe("shop");
    expect(r.v("p", "from_lib")).toBe(true);
    expect(r.v("p", "x")).toBe("a.b");
    expect(r.stage("p").servers[0].host).toBe("web1.example.com");
  });

  it("Ruby syntax errors are reported with file:line; the rest is still read; nothing throws", async () => {
    const r = await analyze(app(`set :application, "x"\nset :broken, [1, 2\nset :after, "still read"`, { p: `server "h", roles: %w[web]` }));
    const err = r.problems.find((p) => p.severity === "error")!;
    expect(err.file).toBe("config/deploy.rb");
    expect(err.line).toBeGreaterThanOrEqual(2);
    expect(err.message).toMatch(/syntax error/i);
    expect(r.v("p", "application")).toBe("x");
    expect(r.stage("p").servers).toHaveLength(1);
  });

  it("never throws on odd input", async () => {
    const odd = ["set", "set :", "server", "role :web", "set :x, -> {", "\u0000\u0001", "namespace :a do task end", "before", "fetch(:a) << 1", "ask", "set :a, *nil", "%w[a].each { |x| set x, x }", "def set(*) end", "BEGIN { }"];
    for (const code of odd) {
      const r = await analyze(app(code, { p: code }));
      expect(r.stages).toHaveLength(1);
    }
  });

  it("no Capistrano files: null", async () => {
    const r = await analyze({ "Gemfile": "" });
    expect(r.capistrano).toBeNull();
    expect(r.stages).toEqual([]);
  });
});

describe("linked path classes", () => {
  it.each([
    ["config/master.key", "file", "secret"],
    ["config/credentials/production.key", "file", "secret"],
    [".env", "file", "secret"],
    [".env.production", "file", "secret"],
    ["config/secrets.yml", "file", "secret"],
    ["config/application.yml", "file", "secret"], // Figaro: ENV values, secrets among them
    ["config/api_credentials.yml", "file", "secret"],
    ["config/database.yml", "file", "config"],
    ["config/global/aws.yml", "file", "config"],
    ["config/global", "dir", "config"],
    ["public/system", "dir", "data"],
    ["public/uploads", "dir", "data"],
    ["storage", "dir", "data"],
    ["tmp/cache", "dir", "cache"],
    ["vendor/bundle", "dir", "cache"],
    ["public/assets", "dir", "cache"],
    ["log", "dir", "log"],
    ["tmp/pids", "dir", "pids"],
    ["tmp/sockets", "dir", "pids"],
    ["public/exports", "dir", "other"],
  ] as const)("%s (%s) → %s", (path, kind, cls) => {
    expect(classifyLinked(path, kind)).toBe(cls);
  });
});

describe("limits", () => {
  it("append, push and concat spread a splat as Ruby does", async () => {
    const r = await analyze(app(`set :application, "x"\nappend :linked_dirs, *%w[tmp/cache public/ckeditor_assets]\nfetch(:linked_dirs).push(*["public/uploads"])\nappend :linked_files, *%w[config/a.yml], "config/b.yml"`, { p: "" }));
    expect(r.v("p", "linked_dirs")).toEqual(["tmp/cache", "public/ckeditor_assets", "public/uploads"]);
    expect(r.v("p", "linked_files")).toEqual(["config/a.yml", "config/b.yml"]);
    expect(r.linked.map((l) => l.path)).toEqual(expect.arrayContaining(["public/ckeditor_assets", "public/uploads", "config/a.yml"]));
  });

  it("roles or primary it cannot compute are said, never guessed (primary is not assumed)", async () => {
    const stage = `HOSTS = ENV.fetch("APP_HOSTS", "a.example.com,b.example.com").split(",")\nHOSTS.each_with_index { |h, i| server h, user: "deploy", roles: (i.zero? ? %w{web app db} : %w{web app}), primary: i.zero? }\nserver "c.example.com", roles: %w{app}, primary: ENV["PRIMARY"]`;
    const r = await analyze(app(`set :application, "x"`, { production: stage }));
    const c = r.stage("production").servers.find((s) => s.host === "c.example.com")!;
    expect(c.primary).toBe(false);
    expect(r.problems.some((p) => p.file === "config/deploy/production.rb" && p.line === 3 && /primary: of server c\.example\.com not known/.test(p.message))).toBe(true);
    for (const s of r.stage("production").servers) if (s.roles.length === 0) expect(r.problems.some((p) => p.message.includes(`roles of server ${s.host} not known`) || p.message.includes("not known statically"))).toBe(true);
    expect(r.stage("production").servers.filter((s) => s.primary).length).toBeLessThanOrEqual(1);
  });

  it("a file nested thousands deep is refused with a message before Prism sees it", async () => {
    const deep = `set :x, ${"[".repeat(5000)}${"]".repeat(5000)}\n`;
    const r = await analyze(app(`set :application, "x"`, { deep, p: `set :y, [[1]]` }));
    expect(r.problems).toContainEqual(expect.objectContaining({ file: "config/deploy/deep.rb", severity: "error", message: expect.stringContaining("nested deeper") }));
    expect(r.v("p", "y")).toEqual([[1]]);
    expect(r.v("deep", "application")).toBe("x");
  });
});

describe("a Ruby Hash literal whose keys spell a tagged value", () => {
  it("stays a Hash: `{ sym: \"x\" }` is no Symbol, `{ env: \"X\", default: 1 }` no ENV read", async () => {
    const { isSym, isEnvRefShape, isTaggedValue } = await import("../../src/model.js");
    const r = await analyze(app(`set :application, "x"\nset :formats, { sym: "short" }\nset :flag, { env: "FLAG", default: 1 }\nset :real, :short`, { production: "" }));
    expect(isSym(r.v("production", "formats"))).toBe(false);
    expect(isTaggedValue(r.v("production", "formats"))).toBe(false);
    expect(isEnvRefShape(r.v("production", "flag"))).toBe(false);
    expect(isSym(r.v("production", "real"))).toBe(true);
  });
});
