// A second Rack server (a Faye chat.ru) that a deploy recipe starts (`thin start -R chat.ru`) is named
// with that start, never as "nothing in the repo starts it" (audit B s26 #7). The app ("parcel") and its
// recipe are written for this test.
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { pluginApp } from "./app.js";

beforeAll(async () => {
  await initPrism();
});

const CHAT_RU = 'require "faye"\nFaye::WebSocket.load_adapter("thin")\nrun Faye::RackAdapter.new(mount: "/chat", timeout: 25)\n';
const RECIPE = [
  "namespace :chat do",
  '  desc "Start the chat push server"',
  "  task :start do",
  "    on roles(:app) do",
  '      # execute "cd #{current_path} && rackup old.ru"',
  '      execute "cd #{current_path} && bundle exec thin start -R chat.ru -p 9300 -d -e production"',
  "    end",
  "  end",
  "end",
  "",
].join("\n");
const stages = { production: 'server "p1.parcel.example.org", roles: %w[web app db]\n' };

describe("a second Rack server a recipe starts", () => {
  it("cites the recipe's start line", async () => {
    const m = await analyzeFiles(pluginApp("", stages, { "chat.ru": CHAT_RU, "config/recipes/chat.rb": RECIPE }, { faye: "1.4.0", thin: "1.8.2" }, 'load "config/recipes/chat.rb"\n'), "parcel");
    const u = (m.uncarried ?? []).filter((x) => x.name === "chat");
    expect(u).toHaveLength(1);
    expect(u[0]!.why).not.toMatch(/nothing in the repo starts it/);
    expect(u[0]!.why).toMatch(/the deploy recipe starts it on the servers as `execute "cd #\{current_path\} && bundle exec thin start -R chat\.ru -p 9300 -d -e production"` \(config\/recipes\/chat\.rb:6\)/);
  });

  it("without a start anywhere, still says nothing starts it", async () => {
    const m = await analyzeFiles(pluginApp("", stages, { "chat.ru": CHAT_RU }, { faye: "1.4.0", thin: "1.8.2" }, ""), "parcel");
    expect((m.uncarried ?? []).find((x) => x.name === "chat")!.why).toMatch(/nothing in the repo starts it/);
  });
});
