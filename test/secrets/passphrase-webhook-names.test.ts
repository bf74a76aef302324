// Names that say their value is a secret though none of the older words (KEY, TOKEN, PASSWORD...)
// stands alone in them: a GPG or SSH key's passphrase, a door's passcode, Redis' `requirepass`, a chat
// webhook (its URL is the credential). And names that merely contain those letters, which stay settings.
import { describe, expect, it } from "vitest";
import { secretEnvEntry, secretEnvName } from "../../src/model/secret-env.js";

const SECRET = ["PASSPHRASE", "GPG_PASSPHRASE", "BACKUP_KEY_PASSPHRASE", "SSHPASSPHRASE", "DOOR_PASSCODE", "APP_PASSCODE", "REDIS_REQUIREPASS", "REQUIREPASS", "SLACK_WEBHOOK", "WEBHOOK_URL", "TEAMS_WEBHOOK_URL", "DEPLOY_WEBHOOKS", "CHATWEBHOOK"];
const PLAIN = ["PASSENGER_MAX_POOL_SIZE", "PASSENGER_APP_ENV", "BYPASS_CACHE", "COMPASS_OUTPUT_STYLE", "PASSTHROUGH_MODE", "SURPASS_LIMIT", "WEBHOOK_ENABLED", "WEBHOOK_TIMEOUT", "HOOKS_DIR", "CODE_LENGTH_HINT", "ENCOMPASS_HOST", "PASSAGE_COUNT"];

describe("secret by name", () => {
  it.each(SECRET)("%s is secret whatever its value", (n) => {
    expect(secretEnvName(n)).toBe(true);
    expect(secretEnvEntry(n, "plainword")).toBe(true);
  });
  it.each(PLAIN)("%s is a setting", (n) => {
    expect(secretEnvName(n)).toBe(false);
    expect(secretEnvEntry(n, "plainword")).toBe(false);
  });
});
