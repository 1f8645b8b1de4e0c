import { getConformanceSuite, getParsingSuite } from "@bufbuild/cel-spec/testdata/tests.js";
const s = getConformanceSuite();
const target = new Set("basic comparisons conversions fields fp_math integer_math lists logic macros macros2 parse plumbing string string_ext".split(" "));
const stats = {};
function walk(su, path) {
  for (const t of su.tests) {
    const o = t.original;
    const key = [o.resultMatcher.case, o.container?"container":"", o.disableMacros?"nomacro":"", o.checkOnly?"checkonly":"", o.disableCheck?"nocheck":"", Object.keys(o.bindings).length? "bind":"" ].join(",");
    stats[key]=(stats[key]||0)+1;
  }
  for (const c of su.suites) walk(c, path+"/"+c.name);
}
for (const f of s.suites) if (target.has(f.name)) walk(f, f.name);
console.log(stats);
// print some samples
const pick = process.argv[2];
function dump(su, path){ for(const t of su.tests){ if (path.includes(pick)) console.log(path, "|", t.name, "|", JSON.stringify(t.original.expr), "|", t.original.resultMatcher.case, JSON.stringify(t.original.resultMatcher.value, (k,v)=>typeof v==='bigint'?v.toString()+'n':v).slice(0,200), Object.keys(t.original.bindings).join(","), t.original.container);} for(const c of su.suites) dump(c, path+"/"+c.name); }
if (pick) for (const f of s.suites) dump(f, f.name);
