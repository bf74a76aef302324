// Real Capistrano as the oracle of what whenever's task sends: `cap <stage> whenever:update_crontab`
// on a recording backend, each stage's one whenever command as SSHKit built it for the servers.
import { expect } from "vitest";
import { capApp, capJson } from "../capistrano/cap-record.js";

/** Records each command the whenever task sends; `before`: tasks invoked first (a deploy's own steps it relies on). */
const recorder = (before: string[]): string => `
class R2kRecorder < SSHKit::Backend::Printer
  def execute_command(cmd)
    ($r2k_commands ||= []) << cmd.to_command
  end
end
task "r2k:whenever" do
  SSHKit.config.backend = R2kRecorder
${before.map((t) => `  invoke ${JSON.stringify(t)}\n`).join("")}  invoke "whenever:update_crontab"
  puts "R2K-WH" + JSON.generate($r2k_commands)
end
`;

/**
 * Per stage, the one command naming whenever that cap sent (SSHKit's `within` first tests that the
 * directory exists: that command is left out).
 */
export function sentWheneverCommands(files: Record<string, string>, stages: string[], cleanup: string[], prefix: string, before: string[] = []): Record<string, string> {
  const { app } = capApp(files, prefix, recorder(before), cleanup, "wh.rake");
  const sent: Record<string, string> = {};
  for (const st of stages) {
    const cmds = capJson<string[]>(app, st, "r2k:whenever", "R2K-WH", { requires: ["json"] }).filter((c) => /\bwhenever\b/.test(c));
    expect(cmds).toHaveLength(1);
    sent[st] = cmds[0]!;
  }
  return sent;
}
