// Generated Ruby, shell and nginx text lives in template files beside its emitter, imported as text
// with a `?raw` suffix: vitest (Vite) reads such imports natively, and scripts/bundle.mjs gives
// esbuild the same rule. Keeping the text out of TypeScript template literals keeps every backslash.
declare module "*?raw" {
  const text: string;
  export default text;
}
