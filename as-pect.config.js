// as-pect runs the AssemblyScript unit tests of pure modules (no proxy host needed).
// ASPECT_ENTRIES (comma-separated globs) runs a subset, e.g.
//   ASPECT_ENTRIES="assembly/__tests__/cel_*.spec.ts" npx asp -n
const subset = process.env.ASPECT_ENTRIES;
export default {
  entries: subset ? subset.split(",") : ["assembly/__tests__/**/*.spec.ts"],
  include: ["assembly/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
