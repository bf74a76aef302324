// The CLI's version, as `rails2k8s --version` prints it. Kept equal to package.json's by a test
// (test/cli/package.test.ts): the bundle carries no package.json to read it from at run time.
export const VERSION = "0.1.0";
