// Gems used only to deploy from a workstation. One rule, read by the image's BUNDLE_WITHOUT
// (emitters/container/rules.ts) and by the worker analysis: a job gem that only such a gem pulls
// into Gemfile.lock is no sign that the app runs it (analyzers/workers/locked-for-app.ts).

/** Gems used only to deploy from a workstation (Capistrano and its plugins, Mina, SSH key helpers). */
export function isDeployGem(name: string): boolean {
  return (
    /^capistrano3?([-_].+)?$/.test(name) ||
    /[-_]capistrano$/.test(name) ||
    /^mina([-_].+)?$/.test(name) ||
    ["sshkit", "airbrussh", "net-ssh", "net-scp", "net-sftp", "ed25519", "bcrypt_pbkdf"].includes(name)
  );
}
