// lib/tasks/rails2k8s.rake: `rails2k8s:verify_config`, run on each EC2 server before the switch.
// There Global still reads the real, Capistrano-rendered files; the task loads the stage's env
// files (the values the pod will get), reloads config/custom with config_for, and deep-compares
// every Global namespace with Rails.configuration.x — type for type (1 is not "1", :a is not "a").
// It prints each difference by its full path, masks values under secret-looking keys, exits
// non-zero on any difference, and writes a JSON report when asked.
import template from "./verify-task.rake.tmpl?raw";
import { fill } from "../text/fill.js";
import { rubyString, rubyStringArray } from "../encode/ruby.js";

export const VERIFY_TASK_PATH = "lib/tasks/rails2k8s.rake";

export function verifyTaskSource(secretPattern: string, secretPaths: string[]): string {
  return fill(template, { secret_pattern: rubyString(secretPattern), secret_paths: rubyStringArray(secretPaths) }, "verify-task.rake.tmpl");
}
