module.exports = require('../../jest.preset.js')('agent-contract');
