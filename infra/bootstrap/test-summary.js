// Prints each suite's counts and time against its budget, then one closing line of totals.
const fs = require('fs');
const path = require('path');

const dir = path.join(__dirname, '..', '..', '.forkdesk', 'test-results');
const budgets = require('./test-budgets.json');
// A skipped test passes the run only when it is listed here with the reason it cannot run.
const allowedSkips = new Map(require('./test-skips.json').skips.map((s) => [s.test, s.reason]));
const totalSeconds = Number(process.argv[2] || 0);

const read = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
const steps = files.filter((f) => f.startsWith('step-')).map(read);
const suites = files.filter((f) => !f.startsWith('step-')).map(read);

const pad = (s, n) => String(s).padEnd(n);
const lines = ['', 'suite                 passed  failed  skipped   time   budget'];
let passed = 0;
let failed = 0;
let skipped = 0;
const unexplained = [];
for (const s of suites.sort((a, b) => a.name.localeCompare(b.name))) {
  const budget = budgets.suites[s.name] ?? budgets.defaultSuiteSeconds;
  const mark = s.seconds > budget ? '  OVER BUDGET' : '';
  lines.push(
    `${pad(s.name, 20)}  ${pad(s.passed, 6)}  ${pad(s.failed, 6)}  ${pad(s.skipped, 7)}  ${pad(Math.round(s.seconds) + 's', 5)}  ${budget}s${mark}`,
  );
  passed += s.passed;
  failed += s.failed + s.suitesFailed;
  skipped += s.skipped;
  for (const name of s.skippedNames ?? [])
    if (!allowedSkips.has(name)) unexplained.push(`${s.name}: ${name}`);
}
for (const s of steps)
  lines.push(`step ${pad(s.step, 16)} ${s.ok ? 'ok    ' : 'FAILED'}  ${s.seconds}s`);
for (const u of unexplained)
  lines.push(`skipped without a reason in infra/bootstrap/test-skips.json: ${u}`);
lines.push(`total time ${totalSeconds}s (budget ${budgets.totalSeconds}s, CI limit 5400s)`);
process.stdout.write(`${lines.join('\n')}\n\n`);
// The plain closing line CI reads.
process.stdout.write(
  `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
);
const stepFailed = steps.some((s) => !s.ok);
process.exit(failed > 0 || stepFailed || unexplained.length > 0 || suites.length === 0 ? 1 : 0);
