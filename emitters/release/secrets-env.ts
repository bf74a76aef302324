// With the env-files backend the pipeline has no secrets.env (it is git-ignored): each stage's CI
// environment holds the file's text in one secret, written to the overlay before it is built.
export const SECRETS_ENV_SECRET = "SECRETS_ENV";
