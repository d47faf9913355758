import js from "@eslint/js";
import tsParser from "@typescript-eslint/parser";
import tsPlugin from "@typescript-eslint/eslint-plugin";
import globals from "globals";

/*
 * Import boundaries (docs/adr/0011-layout.md). One no-restricted-imports per file: ESLint does not
 * merge a rule's options across config objects (the last match wins), so each folder's list repeats
 * the rules that also hold for it (product code never imports test code).
 * Relative specifiers are matched on the folder they reach at the top of the tree: (../)+test/...
 */
const up = "^(\\.\\./)+";
const noTestCode = {
  regex: `${up}test(/|$)`,
  message: "product code imports no test code: move the helper out of test/ or the importer into test/ (docs/adr/0011-layout.md).",
};
const kubernetesAndMetrics = ["pepr", "kubernetes-fluent-client", "@kubernetes/client-node", "prom-client"].map(name => ({
  group: [name, `${name}/*`],
  message: "a pure core or codec imports no Pepr, Kubernetes client or prom-client: take a port or return values (docs/adr/0011-layout.md).",
}));
const noSockets = [
  { regex: "^(node:)?(dgram|tls|http|https|http2)$", message: "a pure core or codec opens no socket: the speaker's data planes own them (docs/adr/0011-layout.md)." },
  { regex: `${up}native(/index)?$|\\.node$`, message: "a pure core or codec loads no native addon: the speaker's data planes own sockets (docs/adr/0011-layout.md)." },
];
/** node:net's address predicates are pure; its sockets are not. */
const netPredicatesOnly = [
  { name: "node:net", allowImportNames: ["isIP", "isIPv4", "isIPv6"], message: "a pure core or codec opens no socket (docs/adr/0011-layout.md)." },
  { name: "net", allowImportNames: ["isIP", "isIPv4", "isIPv6"], message: "a pure core or codec opens no socket (docs/adr/0011-layout.md)." },
];
const noRuntimes = {
  regex: `${up}(speaker|controller|kube|capabilities)(/|$)`,
  message: "core/ imports no runtime, port adapter or binding (speaker/, controller/, kube/, capabilities/): they import core/ (docs/adr/0011-layout.md).",
};
/** Folders whose code ships (in the speaker image, the controller's module or the CLI). */
export const PRODUCT = ["pepr.ts", ...["capabilities", "core", "protocols", "kube", "controller", "speaker", "deploy", "observability", "cli", "native", "crds"].map(d => `${d}/**/*.ts`)];

export default [
  { ignores: ["**/node_modules", "**/dist", "native/build", "build"] },
  js.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parser: tsParser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname, sourceType: "module" },
      globals: { ...globals.node },
    },
    plugins: { "@typescript-eslint": tsPlugin },
    rules: {
      ...tsPlugin.configs.recommended.rules,
      "no-undef": "off",
      "no-unused-vars": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    files: PRODUCT,
    ignores: ["**/*.spec.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [noTestCode] }] },
  },
  {
    files: ["core/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: { "no-restricted-imports": ["error", { paths: netPredicatesOnly, patterns: [noTestCode, ...kubernetesAndMetrics, ...noSockets, noRuntimes] }] },
  },
  {
    files: ["protocols/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: { "no-restricted-imports": ["error", { paths: netPredicatesOnly, patterns: [noTestCode, ...kubernetesAndMetrics, ...noSockets] }] },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: { ...globals.node } },
  },
];
