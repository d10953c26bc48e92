// Records each part's test counts so `npm test` can print one total at the end.
const fs = require('fs');
const path = require('path');

class ResultsReporter {
  constructor(globalConfig, options) {
    this.name = (options && options.name) || 'tests';
  }

  onRunComplete(_contexts, results) {
    const dir = path.join(__dirname, '..', '..', '.forkdesk', 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    const counts = {
      name: this.name,
      passed: results.numPassedTests,
      failed: results.numFailedTests,
      skipped: results.numPendingTests + results.numTodoTests,
      suitesFailed: results.numFailedTestSuites + results.numRuntimeErrorTestSuites,
      seconds: (Date.now() - results.startTime) / 1000,
      // Named so that `npm test` can fail on a skip nobody gave a reason for (test-skips.json).
      skippedNames: results.testResults.flatMap((file) =>
        file.testResults
          .filter((t) => t.status === 'pending' || t.status === 'todo')
          .map((t) => t.fullName),
      ),
    };
    fs.writeFileSync(path.join(dir, `${this.name}.json`), JSON.stringify(counts));
  }
}

module.exports = ResultsReporter;
